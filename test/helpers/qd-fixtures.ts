// QD's own template files (../shared/fixtures/qd-templates/ beside the repository) are the design
// documents' test material, not part of the repository. Tests that read them skip where they are
// absent, e.g. in a clone made somewhere else.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const QD_FIXTURES_DIR = [path.resolve(REPO, '../shared/fixtures/qd-templates'), '/work/shared/fixtures/qd-templates'].find((d) => fs.existsSync(d));

export const qdFixturesSkip = QD_FIXTURES_DIR ? false : 'QD fixtures (../shared/fixtures/qd-templates) are not beside this clone';
