// 'ui' 部分的文字（单独成文件）。
import type { UiText } from './ui.en.js';

const uiZh: UiText = {};

export default uiZh;
