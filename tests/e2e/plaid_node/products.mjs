// Every endpoint issue 15 added, through the official Node SDK (`plaid` from npm).
// `node products.mjs READY_FILE TAG`: the same calls, in the same order and under the same
// names, as run_python in tests/e2e/product_calls.py; prints one JSON object of replies (or
// Plaid's error objects, with `status`) that check_products judges. A reply that is neither
// prints the error and exits 1.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Configuration, PlaidApi } from "plaid";

const ready = JSON.parse(readFileSync(process.argv[2], "utf8"));
const tag = process.argv[3];
const api = new PlaidApi(
  new Configuration({
    basePath: ready.url,
    baseOptions: {
      headers: { "PLAID-CLIENT-ID": ready.client_id, "PLAID-SECRET": ready.secret },
    },
  }),
);
const HOOK = "http://127.0.0.1:9/hook";
const SDK_TEST_KID = "6c5516e1-92dc-479e-a8ff-5a51992e0001";
const POLLS = 20;
const out = {};

async function ok(name, promise) {
  const reply = await promise;
  out[name] = reply.data;
  return reply.data;
}

async function fail(name, promise) {
  try {
    await promise;
    out[name] = { unexpected_success: true };
  } catch (error) {
    if (!error.response) throw error;
    out[name] = { ...error.response.data, status: error.response.status };
  }
}

function pdf(data) {
  const body = Buffer.from(data);
  return {
    magic: body.subarray(0, 5).toString("latin1"),
    bytes: body.length,
    sha256: createHash("sha256").update(body).digest("hex"),
  };
}

const isoDate = (date) => date.toISOString().slice(0, 10);
const daysBefore = (iso, days) => isoDate(new Date(Date.parse(iso) - days * 86400000));

async function link(products, { institution = "ins_109508", password = "pass_good", statements } = {}) {
  const options = { webhook: HOOK, override_username: "user_good", override_password: password };
  if (statements) {
    const today = isoDate(new Date());
    options.statements = { start_date: daysBefore(today, 90), end_date: today };
  }
  const created = await api.sandboxPublicTokenCreate({
    institution_id: institution,
    initial_products: products,
    options,
  });
  const exchanged = await api.itemPublicTokenExchange({ public_token: created.data.public_token });
  return [exchanged.data.access_token, exchanged.data.item_id];
}

async function main() {
  const items = {};
  const [gb] = await link(["transactions"], { institution: "ins_117650" });

  // Investments
  let token;
  [token, items.investments] = await link(["investments"]);
  const holdings = await ok("holdings", api.investmentsHoldingsGet({ access_token: token }));
  const today = holdings.securities
    .map((s) => s.close_price_as_of)
    .filter(Boolean)
    .sort()
    .at(-1);
  const window = { access_token: token, start_date: daysBefore(today, 365), end_date: today };
  for (const [name, offset] of [["inv_page1", 0], ["inv_page2", 10]]) {
    await ok(name, api.investmentsTransactionsGet({ ...window, options: { count: 10, offset } }));
  }
  const ira = holdings.accounts.find((a) => a.subtype === "ira").account_id;
  await ok(
    "inv_ira",
    api.investmentsTransactionsGet({ ...window, options: { account_ids: [ira], count: 500 } }),
  );
  await ok("inv_refresh", api.investmentsRefresh({ access_token: token }));
  await ok("inv_auth", api.investmentsAuthGet({ access_token: token }));
  await fail("err_inv_product", api.investmentsHoldingsGet({ access_token: gb }));
  await fail(
    "err_inv_dates",
    api.investmentsTransactionsGet({ ...window, start_date: window.end_date, end_date: window.start_date }),
  );

  // Assets
  [token, items.assets] = await link(["assets"]);
  let accounts = (await api.accountsGet({ access_token: token })).data.accounts;
  const created = await ok(
    "asset_create",
    api.assetReportCreate({
      access_tokens: [token],
      days_requested: 30,
      options: {
        client_report_id: `${tag}-report`,
        webhook: HOOK,
        user: { client_user_id: `${tag}-user`, first_name: "Alberta" },
        add_ons: ["investments"],
      },
    }),
  );
  const report = created.asset_report_token;
  let polls = 0;
  for (; polls < POLLS; polls += 1) {
    try {
      await ok("asset_get", api.assetReportGet({ asset_report_token: report, include_insights: true }));
      break;
    } catch (error) {
      if (error.response?.data?.error_code !== "PRODUCT_NOT_READY") throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  out.asset_polls = polls;
  const reportPdf = await api.assetReportPdfGet(
    { asset_report_token: report },
    { responseType: "arraybuffer" },
  );
  out.asset_pdf = pdf(reportPdf.data);
  const refreshed = await ok(
    "asset_refresh",
    api.assetReportRefresh({ asset_report_token: report, days_requested: 10 }),
  );
  out.asset_excluded = accounts[0].account_id;
  const filtered = await ok(
    "asset_filter",
    api.assetReportFilter({
      asset_report_token: refreshed.asset_report_token,
      account_ids_to_exclude: [accounts[0].account_id],
    }),
  );
  await ok(
    "asset_filtered_get",
    api.assetReportGet({
      asset_report_token: filtered.asset_report_token,
      options: { days_to_include: null },
    }),
  );
  const copy = (
    await ok(
      "audit_create",
      api.assetReportAuditCopyCreate({ asset_report_token: report, auditor_id: "fannie_mae" }),
    )
  ).audit_copy_token;
  await ok("audit_get", api.assetReportAuditCopyGet({ audit_copy_token: copy }));
  const auditPdf = await api.assetReportAuditCopyPdfGet(
    { audit_copy_token: copy, options: { days_to_include: 30 } },
    { responseType: "arraybuffer" },
  );
  out.audit_pdf = pdf(auditPdf.data);
  await ok("audit_remove", api.assetReportAuditCopyRemove({ audit_copy_token: copy }));
  await fail("err_audit_gone", api.assetReportAuditCopyGet({ audit_copy_token: copy }));
  await ok("asset_remove", api.assetReportRemove({ asset_report_token: report }));
  await fail("err_asset_gone", api.assetReportGet({ asset_report_token: report }));
  await fail(
    "err_asset_token",
    api.assetReportCreate({ access_tokens: [`${token}-unknown`], days_requested: 30 }),
  );

  // Signal, Identity Match, processor tokens (quickstart's default products)
  [token, items.signal] = await link(["auth", "transactions", "signal"]);
  accounts = (await api.accountsGet({ access_token: token })).data.accounts;
  const checking = accounts[0].account_id;
  await ok("signal_prepare", api.signalPrepare({ access_token: token }));
  const evaluate = {
    access_token: token,
    account_id: checking,
    client_transaction_id: `${tag}-txn-1`,
    amount: 27.53,
  };
  await ok("signal_eval", api.signalEvaluate(evaluate));
  // the id again for another amount (the same debit again is a re-evaluation)
  await fail("err_signal_duplicate", api.signalEvaluate({ ...evaluate, amount: 3.53 }));
  await ok(
    "signal_decision",
    api.signalDecisionReport({ client_transaction_id: `${tag}-txn-1`, initiated: true }),
  );
  await ok(
    "signal_return",
    api.signalReturnReport({ client_transaction_id: `${tag}-txn-1`, return_code: "R01" }),
  );
  await fail(
    "err_signal_unknown",
    api.signalDecisionReport({ client_transaction_id: `${tag}-never`, initiated: true }),
  );
  await fail("err_signal_product", api.signalPrepare({ access_token: gb }));

  const identity = await ok("identity", api.identityGet({ access_token: token }));
  const owner = identity.accounts[0].owners[0];
  const { street, city, region, postal_code, country } = owner.addresses[0].data;
  await ok(
    "match_full",
    api.identityMatch({
      access_token: token,
      user: {
        legal_name: owner.names[0],
        phone_number: owner.phone_numbers[0].data,
        email_address: owner.emails[0].data,
        address: { street, city, region, postal_code, country },
      },
    }),
  );
  await ok("match_other", api.identityMatch({ access_token: token, user: { legal_name: "Jo Bloggs" } }));

  out.proc_account = checking;
  const processor = (
    await ok(
      "proc_token",
      api.processorTokenCreate({ access_token: token, account_id: checking, processor: "dwolla" }),
    )
  ).processor_token;
  await ok("proc_auth", api.processorAuthGet({ processor_token: processor }));
  await ok("proc_balance", api.processorBalanceGet({ processor_token: processor }));
  await ok("proc_identity", api.processorIdentityGet({ processor_token: processor }));
  const partnerProducts = ["auth", "balance", "identity", "transactions"];
  await ok(
    "proc_permissions_set",
    api.processorTokenPermissionsSet({ processor_token: processor, products: partnerProducts }),
  );
  await ok("proc_permissions", api.processorTokenPermissionsGet({ processor_token: processor }));
  await ok(
    "proc_webhook",
    api.processorTokenWebhookUpdate({ processor_token: processor, webhook: "http://127.0.0.1:9/partner" }),
  );
  const added = [];
  let cursor = "";
  let more = true;
  while (more) {
    const page = (await api.processorTransactionsSync({ processor_token: processor, cursor, count: 100 })).data;
    added.push(...page.added);
    cursor = page.next_cursor;
    more = page.has_more;
  }
  out.proc_sync = { added, next_cursor: cursor };
  const card = accounts.find((a) => a.type === "credit").account_id;
  const cardToken = (
    await api.processorTokenCreate({ access_token: token, account_id: card, processor: "dwolla" })
  ).data.processor_token;
  await fail("err_proc_card", api.processorAuthGet({ processor_token: cardToken }));
  await api.processorTokenPermissionsSet({ processor_token: cardToken, products: ["auth"] });
  await fail("err_proc_permission", api.processorBalanceGet({ processor_token: cardToken }));
  await fail(
    "err_proc_account",
    api.processorTokenCreate({ access_token: token, account_id: "unknown", processor: "dwolla" }),
  );
  await fail(
    "err_proc_token",
    api.processorBalanceGet({ processor_token: "processor-sandbox-00000000-0000-0000-0000-000000000000" }),
  );
  await api.sandboxItemResetLogin({ access_token: token });
  await fail(
    "err_match_login",
    api.identityMatch({ access_token: token, user: { legal_name: "Jo Bloggs" } }),
  );

  // Automated micro-deposits
  [token, items.microdeposits] = await link(["auth"], { password: "microdeposits_good" });
  const before = await ok("md_accounts_before", api.accountsGet({ access_token: token }));
  const pending = before.accounts.find((a) => a.verification_status).account_id;
  const settled = before.accounts.find((a) => !a.verification_status).account_id;
  await fail("err_md_auth", api.authGet({ access_token: token }));
  await fail(
    "err_md_status",
    api.sandboxItemSetVerificationStatus({
      access_token: token,
      account_id: settled,
      verification_status: "automatically_verified",
    }),
  );
  await ok(
    "md_set",
    api.sandboxItemSetVerificationStatus({
      access_token: token,
      account_id: pending,
      verification_status: "automatically_verified",
    }),
  );
  await ok("md_accounts_after", api.accountsGet({ access_token: token }));
  await ok("md_auth", api.authGet({ access_token: token }));

  // Statements
  [token, items.statements] = await link(["transactions", "statements"], { statements: true });
  const listed = await ok("stmt_list", api.statementsList({ access_token: token }));
  const download = await api.statementsDownload(
    { access_token: token, statement_id: listed.accounts[0].statements[0].statement_id },
    { responseType: "arraybuffer" },
  );
  out.stmt_pdf = { ...pdf(download.data), hash: download.headers["plaid-content-hash"] };
  const now = isoDate(new Date());
  await ok(
    "stmt_refresh",
    api.statementsRefresh({ access_token: token, start_date: daysBefore(now, 60), end_date: now }),
  );
  await fail(
    "err_stmt_id",
    api.statementsDownload({ access_token: token, statement_id: "no-such-statement" }),
  );
  await fail("err_stmt_product", api.statementsList({ access_token: gb }));

  // Webhook verification key: the key id Plaid's SDKs test with, and an unknown one
  await ok("wvk", api.webhookVerificationKeyGet({ key_id: SDK_TEST_KID }));
  await fail(
    "err_wvk",
    api.webhookVerificationKeyGet({ key_id: "00000000-0000-0000-0000-000000000000" }),
  );
  out.items = items;
  console.log(JSON.stringify(out));
}

main().catch((error) => {
  console.error(error.response ? JSON.stringify(error.response.data) : error.stack || String(error));
  process.exit(1);
});
