// QD 模板导入的提示（错误与警告），并入目录的 `import` 部分。
import type { QdImportText } from './qd-import.en.js';

const qdImportZh: QdImportText = {
  qd_not_array: "这不是 QD 模板文件：它应当是一个 JSON 数组，每一项包含 request 和 rule。",
  qd_no_entries: "这个 QD 模板文件里没有任何条目。",
  qd_entry_not_object: "第 {{index}} 项不是包含 request 和 rule 的对象。",
  qd_entry_no_request: "第 {{index}} 项没有 request。",
  qd_entry_no_url: "第 {{index}} 项没有 request.url。",
  qd_entry_bad_url: "第 {{index}} 项：{{url}} 既不是 http(s) 地址，也不是 api:// 工具或 {% if … %} 这样的控制标签。",
  qd_url_too_long: "第 {{index}} 项的 URL 超过 {{max}} 个字符。",
  qd_body_too_large: "第 {{index}} 项的请求体超过 {{max}} 字节。",
  qd_method_unsupported: "第 {{index}} 项使用的方法是 {{method}}；步骤只能发送 GET、POST、PUT、PATCH、DELETE、HEAD 或 OPTIONS。",
  qd_entry_bad_field: "第 {{index}} 项：{{field}} 的内容不符合 QD 模板的格式（应为 name/value 列表或规则列表）。",
  qd_rule_invalid: "第 {{index}} 项：{{list}} 的第 {{position}} 条规则需要文本字段 re 和 from（提取规则还需要 name）。",
  qd_rule_bad_regex: "第 {{index}} 项：{{list}} 的第 {{position}} 条规则的正则表达式无法使用（{{problem}}）：{{pattern}}",
  qd_rule_from_unknown: "第 {{index}} 项：{{list}} 的第 {{position}} 条规则从“{{from}}”读取，QD 在这里读到的是空内容；该规则已略去。",
  qd_extract_name_invalid: "第 {{index}} 项：{{list}} 的第 {{position}} 条规则提取到“{{name}}”，这不是合法的变量名；该规则已略去。",
  qd_extract_all_headers: "第 {{index}} 项：{{name}} 是从全部响应头中提取的，Chime 暂不支持；该规则已略去。",
  qd_rule_dropped: "第 {{index}} 项：{{list}} 的第 {{position}} 条规则无法保留（{{problem}}）。",
  qd_template_invalid: "第 {{index}} 项：{{field}} 不是合法的 Jinja（{{problem}}）；已原样保留，运行时会失败。",
  qd_function_unknown: "第 {{index}} 项调用了 {{name}}()，QD 和 Chime 都没有这个函数；该步骤运行时会失败。",
  qd_function_unsupported: "第 {{index}} 项调用了 {{name}}()，Chime 不支持；该步骤运行时会失败。",
  qd_filter_unknown: "第 {{index}} 项使用了过滤器 {{name}}，QD 和 Chime 都没有；该步骤运行时会失败。",
  qd_filter_unsupported: "第 {{index}} 项使用了过滤器 {{name}}，Chime 不支持；该步骤运行时会失败。",
  qd_get_data_dropped: "第 {{index}} 项是带数据的 {{method}} 请求，QD 从不发送这些数据；已略去。",
  qd_control_rules_dropped: "第 {{index}} 项是控制条目，QD 从不检查它的规则，因此已略去。",
  qd_control_unbalanced: "第 {{index}} 项：{% {{tag}} %} 与此处打开的块不匹配；运行到这一步时会失败。",
  qd_control_unclosed: "第 {{index}} 项：{% {{tag}} %} 没有结束标签；运行会失败。",
  qd_control_unknown: "第 {{index}} 项：{% {{tag}} %} 不是 QD 支持的控制条目（if、elif、else、for、while 及其结束标签）；运行到这一步时会失败。",
  qd_ocr: "第 {{index}} 项使用了 QD 的 OCR（api://util/dddd），Chime 没有该功能；在替换之前，运行会在这一步失败。",
  qd_api_unknown: "第 {{index}} 项调用了 {{url}}，Chime 不提供这个工具；在替换之前，运行会在这一步失败。",
  qd_pseudo_header: "第 {{index}} 项：HTTP/2 伪头 {{name}} 由 URL 决定，已略去。",
  qd_header_repeated: "第 {{index}} 项多次设置了请求头 {{name}}；与 QD 一样，保留最后一个值。",
};

export default qdImportZh;
