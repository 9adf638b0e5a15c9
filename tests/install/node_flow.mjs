// The official Node SDK (`plaid` from npm) against an installed `bank-sandbox serve`.
// `node node_flow.mjs READY_FILE`: link, exchange, page /transactions/sync to the end, and
// print one JSON line; any failed call prints Plaid's error object and exits 1.
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
  console.log(JSON.stringify({ sdk: "plaid (node)", pages, added: ids.length, ids }));
}

main().catch((error) => {
  console.error(error.response ? JSON.stringify(error.response.data) : String(error));
  process.exit(1);
});
