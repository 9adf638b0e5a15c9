// TrueLayer's official Node client (`truelayer-client` 1.3.2 from npm) against a served sandbox.
// Only the two base URLs change. Two steps, each printing one JSON line:
//   node flow.js authurl BASE_URL CLIENT_ID REDIRECT_URI  -> {"url": <the auth link>}
//   node flow.js run BASE_URL CLIENT_ID SECRET REDIRECT_URI CODE
//     -> every Data API call the client has, a refresh, and two errors as the client reports them
//   node flow.js quota BASE_URL CLIENT_ID SECRET REFRESH_TOKEN
//     -> five unattended /accounts calls (the client sends no X-PSU-IP): what each one got
const { AuthAPIClient, DataAPIClient, Constants } = require("truelayer-client");

const [mode, base, clientId, ...rest] = process.argv.slice(2);
Constants.AUTH_URL = base; // instead of https://auth.truelayer.com
Constants.API_URL = base; // instead of https://api.truelayer.com

const SCOPES = ["info", "accounts", "balance", "cards", "transactions", "direct_debits",
  "standing_orders", "offline_access"];

// A date `n` days before today (UTC), as the Data API takes it: the sandbox keeps 90 days.
const day = (n) => new Date(Date.now() - n * 864e5).toISOString().slice(0, 10);

async function failure(call) {
  try {
    await call();
  } catch (error) {
    return { error: error.error, message: error.message };
  }
  throw new Error("the call was expected to fail");
}

async function run(secret, redirectUri, code) {
  const auth = new AuthAPIClient({ client_id: clientId, client_secret: secret });
  const tokens = await auth.exchangeCodeForToken(redirectUri, code);
  const token = tokens.access_token;
  const me = await DataAPIClient.getMe(token);
  const info = await DataAPIClient.getInfo(token);
  const accounts = await DataAPIClient.getAccounts(token);
  const current = accounts.results[0].account_id;
  const account = await DataAPIClient.getAccount(token, current);
  const balance = await DataAPIClient.getBalance(token, current);
  const transactions = await DataAPIClient.getTransactions(token, current, day(60), day(0));
  const pending = await DataAPIClient.getPendingTransactions(token, current);
  const standingOrders = await DataAPIClient.getStandingOrders(token, current);
  const directDebits = await DataAPIClient.getDirectDebits(token, current);
  const cards = await DataAPIClient.getCards(token);
  const cardId = cards.results[0].account_id;
  const card = await DataAPIClient.getCard(token, cardId);
  const cardBalance = await DataAPIClient.getCardBalance(token, cardId);
  const cardTransactions = await DataAPIClient.getCardTransactions(token, cardId, day(60), day(0));
  const cardPending = await DataAPIClient.getCardPendingTransactions(token, cardId);
  const refreshed = await auth.refreshAccessToken(tokens.refresh_token);
  const afterRefresh = await DataAPIClient.getAccounts(refreshed.access_token);
  const notFound = await failure(() => DataAPIClient.getAccount(token, "no-such-account"));
  const badRange = await failure(() =>
    DataAPIClient.getTransactions(token, current, "2026-03-10", "2026-03-01"));
  return {
    me: me.results[0],
    info: info.results[0],
    accounts: accounts.results,
    account: account.results,
    balance: balance.results[0],
    transactions: transactions.results,
    pending: pending.results,
    standing_orders: standingOrders.results,
    direct_debits: directDebits.results,
    cards: cards.results,
    card: card.results,
    card_balance: cardBalance.results[0],
    card_transactions: cardTransactions.results,
    card_pending: cardPending.results,
    refreshed: Boolean(refreshed.access_token && refreshed.refresh_token),
    refresh_token: refreshed.refresh_token,
    accounts_after_refresh: afterRefresh.results.length,
    not_found: notFound,
    bad_range: badRange,
    statuses: [me, info, accounts, balance, transactions, cards, cardBalance].map((r) => r.status),
  };
}

async function main() {
  if (mode === "authurl") {
    const [redirectUri] = rest;
    const auth = new AuthAPIClient({ client_id: clientId, client_secret: "unused" });
    const url = auth.getAuthUrl({
      redirectURI: redirectUri, scope: SCOPES, nonce: "e2e-nonce", state: "e2e-state",
      enableMock: true, providerId: "mock",
    });
    return { url };
  }
  if (mode === "quota") {
    const [secret, refreshToken] = rest;
    const auth = new AuthAPIClient({ client_id: clientId, client_secret: secret });
    const { access_token: token } = await auth.refreshAccessToken(refreshToken);
    const outcomes = [];
    for (let call = 0; call < 5; call += 1) {
      outcomes.push(await DataAPIClient.getAccounts(token).then((r) => r.status, (e) => e.error));
    }
    return { outcomes };
  }
  const [secret, redirectUri, code] = rest;
  return run(secret, redirectUri, code);
}

main().then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.error(error && (error.stack || JSON.stringify(error)));
    process.exit(1);
  },
);
