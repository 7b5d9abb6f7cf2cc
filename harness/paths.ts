// Where the project's own files are. One place, one level below the root: the command line runs from a bundle of the
// harness one level below the root too (.build/, see bin/sse-harness.js), where each module's own import.meta.url
// would be the bundle's.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The in-page probe, served into every page the harness opens. */
export const PAGE_PROBE_FILE = join(ROOT, 'harness', 'probe', 'page-probe.js');
