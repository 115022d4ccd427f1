// 'lifecycle' 部分的文字（单独成文件）。
import type { LifecycleText } from './lifecycle.en.js';

const lifecycleZh: LifecycleText = {};

export default lifecycleZh;
