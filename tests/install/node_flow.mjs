// The official Node SDK (`plaid` from npm) against an installed `bank-sandbox serve`.
// `node node_flow.mjs READY_FILE`: link, exchange, page /transactions/sync to the end, call
// the products beyond transactions (Plaid quickstart's defaults auth, transactions, signal;
// Identity Match, processor tokens, Investments, Assets, Statements), and print one JSON
// line; any failed call prints Plaid's error object and exits 1.
import { readFileSync } from "node:fs";
import { Configuration, PlaidApi } from "plaid";

const ready = JSON.parse(readFileSync(process.argv[2], "utf8"));
const api = new PlaidApi(
  new Configuration({
    basePath: ready.url,
    baseOptions: {
      headers: { "PLAID-CLIENT-ID": ready.client_id, "PLAID-SECRET": ready.secret },
    },
  }),
);

async function link(products) {
  const created = await api.sandboxPublicTokenCreate({
    institution_id: "ins_109508",
    initial_products: products,
  });
  const exchanged = await api.itemPublicTokenExchange({
    public_token: created.data.public_token,
  });
  return exchanged.data.access_token;
}

// One call of each product, checked for the field an app reads first.
async function products() {
  const token = await link(["auth", "transactions", "signal"]);
  const account = (await api.accountsGet({ access_token: token })).data.accounts[0];
  const numbers = (await api.authGet({ access_token: token })).data.numbers.ach;
  const scores = (
    await api.signalEvaluate({
      access_token: token,
      account_id: account.account_id,
      client_transaction_id: `node-${Date.now()}`,
      amount: 27.53,
    })
  ).data.scores;
  const match = (
    await api.identityMatch({ access_token: token, user: { legal_name: "Alberta Charleson" } })
  ).data.accounts[0].legal_name;
  const processor = (
    await api.processorTokenCreate({
      access_token: token,
      account_id: account.account_id,
      processor: "dwolla",
    })
  ).data.processor_token;
  const processorAuth = (await api.processorAuthGet({ processor_token: processor })).data;
  const investing = await link(["investments"]);
  const holdings = (await api.investmentsHoldingsGet({ access_token: investing })).data.holdings;
  const assets = await link(["assets"]); // Plaid: an Asset Report needs items linked with assets
  const report = (await api.assetReportCreate({ access_tokens: [assets], days_requested: 30 }))
    .data.asset_report_token;
  const statements = (await api.statementsList({ access_token: await link(["statements"]) }))
    .data.accounts;
  const seen = {
    ach: numbers.length,
    signal: scores.customer_initiated_return_risk.score,
    match: match.score,
    processor: processorAuth.numbers.ach.account,
    holdings: holdings.length,
    asset_report: Boolean(report),
    statements: statements.length,
  };
  for (const [name, value] of Object.entries(seen)) {
    if (!value) throw new Error(`${name}: nothing came back (${JSON.stringify(seen)})`);
  }
  return seen;
}

async function main() {
  const created = await api.sandboxPublicTokenCreate({
    institution_id: "ins_109508",
    initial_products: ["transactions"],
  });
  const exchanged = await api.itemPublicTokenExchange({
    public_token: created.data.public_token,
  });
  const ids = [];
  let cursor;
  let hasMore = true;
  let pages = 0;
  while (hasMore) {
    const page = await api.transactionsSync({
      access_token: exchanged.data.access_token,
      cursor,
      count: 100,
    });
    ids.push(...page.data.added.map((t) => t.transaction_id));
    cursor = page.data.next_cursor;
    hasMore = page.data.has_more;
    pages += 1;
  }
  if (ids.length === 0 || !cursor) throw new Error("the sync returned no transactions");
  const called = await products();
  console.log(JSON.stringify({ sdk: "plaid (node)", pages, added: ids.length, ids, called }));
}

main().catch((error) => {
  console.error(error.response ? JSON.stringify(error.response.data) : String(error));
  process.exit(1);
});
