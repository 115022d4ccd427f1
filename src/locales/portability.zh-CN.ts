// 'portability' 部分的文字（单独成文件）。
import type { PortabilityText } from './portability.en.js';

const portabilityZh: PortabilityText = {};

export default portabilityZh;
