// @vblora/conformance in a scratch app: the Node entry's checkConformance (packaged golden fixtures read from disk)
// against core's reference backend. Prints one JSON line.
import { checkConformance } from '@vblora/conformance';
import { referenceBackend } from '@vblora/core';

const report = await checkConformance(referenceBackend);
const failed = report.cases.filter((c) => c.status === 'fail').map((c) => c.id);
const resolved = { conformance: import.meta.resolve('@vblora/conformance') };
process.stdout.write(
  `${JSON.stringify({ backend: report.backend, ok: report.ok, totals: report.totals, failed, resolved })}\n`,
);
