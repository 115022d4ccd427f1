// Messages of the QD template import (errors and warnings), spread into the catalog's `import` section.
const qdImportEn = {};

export type QdImportText = typeof qdImportEn;
export default qdImportEn;
