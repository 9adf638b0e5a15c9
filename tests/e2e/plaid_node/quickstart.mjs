// Plaid's quickstart Node backend (node/index.js), replayed call for call with the official
// Node SDK: its code cannot be fetched or vendored here, so this makes the same SDK calls,
// with the same parameters and in the same order, for each route its frontend calls.
//
//   node quickstart.mjs link SESSIONS_FILE          /api/create_link_token of each session
//   node quickstart.mjs run SESSIONS_FILE           each session end to end; a session with
//                                                   `public_token` (from a real Link) skips
//                                                   the sandbox stand-in for Link
//
// SESSIONS_FILE holds a list of {url, client_id, secret, products, country_codes,
// public_token?, link_token?}; the output is one JSON list, each session's replies by route name.
import { readFileSync } from "node:fs";
import { Configuration, PlaidApi } from "plaid";

const OPTIONS = {
  auth: ["auth"],
  transactions: ["transactions"],
  identity: ["identity"],
  investments: ["holdings", "investments_transactions"],
  liabilities: ["liabilities"],
  assets: ["assets"],
  signal: ["signal_evaluate"],
  statements: ["statements"],
};
const ALWAYS = ["balance", "item", "accounts"];
const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (days) => new Date(Date.now() - days * 86400000).toISOString().slice(0, 10);

function backend(session) {
  const PLAID_PRODUCTS = session.products;
  const PLAID_COUNTRY_CODES = session.country_codes;
  const client = new PlaidApi(
    new Configuration({
      basePath: session.url,
      baseOptions: {
        headers: {
          "PLAID-CLIENT-ID": session.client_id,
          "PLAID-SECRET": session.secret,
          "Plaid-Version": "2020-09-14",
        },
      },
    }),
  );
  let ACCESS_TOKEN = null;

  const getAssetReportWithRetries = (asset_report_token, ms = 1000, retriesLeft = 20) =>
    new Promise((resolve, reject) => {
      client
        .assetReportGet({ asset_report_token })
        .then(resolve)
        .catch(() => {
          setTimeout(() => {
            if (retriesLeft === 1) {
              reject("Ran out of retries while polling for asset report");
              return;
            }
            getAssetReportWithRetries(asset_report_token, ms, retriesLeft - 1).then(resolve);
          }, ms);
        });
    });

  return {
    client,
    async create_link_token() {
      const configs = {
        user: { client_user_id: "user-id" },
        client_name: "Plaid Quickstart",
        products: PLAID_PRODUCTS,
        country_codes: PLAID_COUNTRY_CODES,
        language: "en",
      };
      if (PLAID_PRODUCTS.includes("statements")) {
        configs.statements = { end_date: today(), start_date: daysAgo(30) };
      }
      return (await client.linkTokenCreate(configs)).data;
    },
    // What Link hands the frontend, without a browser.
    async link_in_sandbox() {
      const options = {};
      if (PLAID_PRODUCTS.includes("statements")) {
        options.statements = { end_date: today(), start_date: daysAgo(30) };
      }
      const created = await client.sandboxPublicTokenCreate({
        institution_id: "ins_109508",
        initial_products: PLAID_PRODUCTS,
        options,
      });
      return created.data.public_token;
    },
    async set_access_token(publicToken) {
      const tokenResponse = await client.itemPublicTokenExchange({ public_token: publicToken });
      ACCESS_TOKEN = tokenResponse.data.access_token;
      return { access_token: ACCESS_TOKEN, item_id: tokenResponse.data.item_id, error: null };
    },
    async auth() {
      return (await client.authGet({ access_token: ACCESS_TOKEN })).data;
    },
    async transactions() {
      let cursor = null;
      let added = [];
      let modified = [];
      let removed = [];
      let hasMore = true;
      while (hasMore) {
        const data = (await client.transactionsSync({ access_token: ACCESS_TOKEN, cursor })).data;
        added = added.concat(data.added);
        modified = modified.concat(data.modified);
        removed = removed.concat(data.removed);
        hasMore = data.has_more;
        cursor = data.next_cursor;
      }
      const byDate = (a, b) => (a.date > b.date) - (a.date < b.date);
      return { latest_transactions: [...added].sort(byDate).slice(-8) };
    },
    async investments_transactions() {
      const configs = { access_token: ACCESS_TOKEN, start_date: daysAgo(30), end_date: today() };
      const response = await client.investmentsTransactionsGet(configs);
      return { error: null, investments_transactions: response.data };
    },
    async identity() {
      return { identity: (await client.identityGet({ access_token: ACCESS_TOKEN })).data.accounts };
    },
    async balance() {
      return (await client.accountsBalanceGet({ access_token: ACCESS_TOKEN })).data;
    },
    async holdings() {
      const response = await client.investmentsHoldingsGet({ access_token: ACCESS_TOKEN });
      return { error: null, holdings: response.data };
    },
    async liabilities() {
      const response = await client.liabilitiesGet({ access_token: ACCESS_TOKEN });
      return { error: null, liabilities: response.data };
    },
    async item() {
      const itemResponse = await client.itemGet({ access_token: ACCESS_TOKEN });
      const instResponse = await client.institutionsGetById({
        institution_id: itemResponse.data.item.institution_id,
        country_codes: PLAID_COUNTRY_CODES,
      });
      return { item: itemResponse.data.item, institution: instResponse.data.institution };
    },
    async accounts() {
      return (await client.accountsGet({ access_token: ACCESS_TOKEN })).data;
    },
    async assets() {
      const options = {
        client_report_id: "Custom Report ID #123",
        user: {
          client_user_id: "Custom User ID #456",
          first_name: "Alice",
          middle_name: "Bobcat",
          last_name: "Cranberry",
          ssn: "123-45-6789",
          phone_number: "555-123-4567",
          email: "alice@example.com",
        },
      };
      const created = await client.assetReportCreate({
        access_tokens: [ACCESS_TOKEN],
        days_requested: 10,
        options,
      });
      const assetReportToken = created.data.asset_report_token;
      const getResponse = await getAssetReportWithRetries(assetReportToken);
      const pdfResponse = await client.assetReportPdfGet(
        { asset_report_token: assetReportToken },
        { responseType: "arraybuffer" },
      );
      return { json: getResponse.data.report, pdf: Buffer.from(pdfResponse.data).toString("base64") };
    },
    async statements() {
      const listed = await client.statementsList({ access_token: ACCESS_TOKEN });
      const download = await client.statementsDownload(
        {
          access_token: ACCESS_TOKEN,
          statement_id: listed.data.accounts[0].statements[0].statement_id,
        },
        { responseType: "arraybuffer" },
      );
      return { json: listed.data, pdf: Buffer.from(download.data).toString("base64") };
    },
    async signal_evaluate() {
      const accountsResponse = await client.accountsGet({ access_token: ACCESS_TOKEN });
      const ACCOUNT_ID = accountsResponse.data.accounts[0].account_id;
      const response = await client.signalEvaluate({
        access_token: ACCESS_TOKEN,
        account_id: ACCOUNT_ID,
        client_transaction_id: "txn1234",
        amount: 100.0,
      });
      return response.data;
    },
  };
}

async function run(session) {
  const api = backend(session);
  const out = { create_link_token: session.link_token || (await api.create_link_token()) };
  out.set_access_token = await api.set_access_token(
    session.public_token || (await api.link_in_sandbox()),
  );
  const routes = session.products.flatMap((p) => OPTIONS[p]).concat(ALWAYS);
  for (const route of routes) out[route] = await api[route]();
  return out;
}

async function main() {
  const [mode, file] = process.argv.slice(2);
  const sessions = JSON.parse(readFileSync(file, "utf8"));
  const results = [];
  for (const session of sessions) {
    results.push(mode === "link" ? await backend(session).create_link_token() : await run(session));
  }
  console.log(JSON.stringify(results));
}

main().catch((error) => {
  console.error(error.response ? JSON.stringify(error.response.data) : error.stack || String(error));
  process.exit(1);
});
