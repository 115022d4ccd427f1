// QD 模板导入的提示（错误与警告），并入目录的 `import` 部分。
import type { QdImportText } from './qd-import.en.js';

const qdImportZh: QdImportText = {};

export default qdImportZh;
