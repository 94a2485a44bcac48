// GraphQL-over-HTTP conformance: graphql-http's server audits against a live Colophon.
// Usage (from .ci/run, with Node): npm install --no-save graphql-http graphql
//   node tests/graphql/http_audit.mjs http://127.0.0.1:8000/graphql
// Exits non-zero when a MUST fails; prints every audit that is not "ok".
import { serverAudits } from 'graphql-http';

const url = process.argv[2] ?? 'http://127.0.0.1:8000/graphql';
let failedMust = 0;
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  if (result.status !== 'ok') {
    if (audit.name.startsWith('MUST')) failedMust += 1;
    console.log(`${result.status} ${audit.id} ${audit.name}: ${result.reason}`);
  }
}
console.log(failedMust ? `${failedMust} MUST audit(s) failed` : 'every MUST audit passed');
process.exit(failedMust ? 1 : 0);
