"""Every message esgcheck shows a user, in Chinese and English.

Rule messages live in the rule files; this table holds the tool's own: input
errors, structural findings, report headings. A message is looked up by key
and filled with named parameters; ``esgcheck.engine.model.text(key, **params)``
gives both languages.
"""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: dict[str, tuple[str, str]] = {
    # input errors
    "io": ("无法读取文件：{reason}", "cannot read the file: {reason}"),
    "changed": ("文件在运行期间被修改，检查结果不一定对应其当前内容；未作为已检查存储，"
                "请再运行一次", "the file changed while the run was going, so the report may "
                "not be of its content now; not stored as checked: run again to check it"),
    "not_regular": ("不是普通文件，而是{kind}；未打开，未读取（只读取普通文件）",
                    "not a regular file but {kind}; not opened, not read (only regular "
                    "files are read)"),
    "file_kind.char_device": ("字符设备（如 /dev/zero）",
                              "a character device (such as /dev/zero)"),
    "file_kind.block_device": ("块设备", "a block device"),
    "file_kind.fifo": ("命名管道（FIFO）", "a FIFO (named pipe)"),
    "file_kind.socket": ("套接字", "a socket"),
    "file_kind.folder": ("文件夹", "a folder"),
    "file_kind.other_file": ("特殊文件", "a special file"),
    "link_outside": ("符号链接指向所提交文件夹之外；未跟随，未读取",
                     "a symbolic link that leads outside the submitted folder; not followed, "
                     "not read"),
    "folder_unreadable": ("无法读取文件夹：{reason}；其中的文件未予检查",
                          "cannot read the folder: {reason}; the files in it were not checked"),
    "xml_encoding": ("XML 声明的编码“{encoding}”无法识别，未读取",
                     "the XML declares the encoding '{encoding}', which esgcheck does not "
                     "know; not read"),
    "empty": ("文件为空", "the file is empty"),
    "encoding": ("文件不是有效的 {encoding} 文本（第 {offset} 字节）",
                 "the file is not valid {encoding} text (byte {offset})"),
    "format": ("无法识别文件格式：既不是 JSON 也不是 XML",
               "unrecognised format: neither JSON nor XML"),
    "json_syntax": ("JSON 语法错误：{reason}", "JSON syntax error: {reason}"),
    "json_duplicate_key": ("JSON 对象中键“{key}”重复；重复的键会隐藏数据",
                           "duplicate key '{key}' in a JSON object; a duplicate hides a value"),
    "json_surrogate": ("JSON 字符串含有不成对的代理项转义 {escape}，不是有效的 Unicode 字符",
                       "a JSON string holds the unpaired surrogate escape {escape}, which is "
                       "not a Unicode character"),
    "json_constant": ("JSON 中不允许出现 {name}", "{name} is not allowed in JSON"),
    "json_root": ("申报文件的顶层必须是 JSON 对象，此处为 {kind}",
                  "a filing must be a JSON object at the top level, found {kind}"),
    "xml_syntax": ("XML 语法错误：{reason}", "XML syntax error: {reason}"),
    "xml_doctype": (
        "XML 含有 DOCTYPE 声明；出于安全原因不接受 DTD 和实体",
        "the XML has a DOCTYPE; DTDs and entities are refused for safety"),
    "xml_entity": ("XML 引用了实体 {name}；出于安全原因不展开实体",
                   "the XML refers to entity {name}; entities are not expanded, for safety"),
    "unknown_type": ("未知的申报类型“{value}”（已知类型：{known}）",
                     "unknown filing type '{value}' (known types: {known})"),
    "no_type": ("无法判断申报类型：JSON 需有 filing_type 成员，XML 需有已知的根元素，"
                "或使用 --type 指定（已知类型：{known}）",
                "cannot tell the filing type: JSON needs a filing_type member, XML a known "
                "root element, or pass --type (known types: {known})"),
    "xml_namespace": (
        "XML 根元素 <{root}> 的命名空间为 {namespace}，而申报类型 {type} 的根元素 <{root}> "
        "应在命名空间 {expected} 中；未按该类型检查（请改正 xmlns）",
        "the XML root element <{root}> is in namespace {namespace}, but {type} expects <{root}> "
        "in namespace {expected}; not checked as {type} (correct the xmlns)"),
    "xml_no_namespace": ("（无命名空间）", "(none)"),
    "xml_root_forced": (
        "XML 根元素为 <{root}>（命名空间 {namespace}），而 --type {type} 应为 <{expected_root}>"
        "（命名空间 {expected}）；未按该类型检查",
        "the XML root element is <{root}> (namespace {namespace}), but --type {type} expects "
        "<{expected_root}> in namespace {expected}; not checked as {type}"),
    "pcf_not_filing": (
        "此文件是产品碳足迹数据（{format}），不是申报文件：esgcheck 没有读取此格式的申报类型"
        "（已知类型：{known}）。供应商的产品或部件碳足迹是电池碳足迹计算的输入，"
        "不是 (EU) 2023/1542 第7条的碳足迹声明",
        "this file is a product carbon footprint ({format}), not a filing: no esgcheck "
        "filing type reads that format (known types: {known}). A supplier's product or "
        "component footprint is an input to a battery's footprint, not a carbon-footprint "
        "declaration under Art. 7 of Regulation (EU) 2023/1542"),
    "pcf_not_filing_forced": (
        "按 --type {type} 读取，但此文件是产品碳足迹数据（{format}），不是 {type} 申报；"
        "esgcheck 没有读取此格式的申报类型（已知类型：{known}）。供应商的产品或部件碳足迹"
        "是电池碳足迹计算的输入，不是 (EU) 2023/1542 第7条的碳足迹声明",
        "given as {type}, but this file is a product carbon footprint ({format}), not a "
        "filing of type {type}; no esgcheck filing type reads that format (known types: "
        "{known}). "
        "A supplier's product or component footprint is an input to a battery's footprint, "
        "not a carbon-footprint declaration under Art. 7 of Regulation (EU) 2023/1542"),
    "format_of_other_type": (
        "按 --type {type} 读取，但此文件是 {format} 数据，由申报类型 {reads} 读取；"
        "请去掉 --type 或使用 --type {reads}",
        "given as {type}, but this file is {format} data, which filing type {reads} reads; "
        "drop --type or pass --type {reads}"),
    "no_rules": ("没有适用于申报类型 {type} 的规则库",
                 "no rule base applies to filing type {type}"),
    "limit": ("超出处理限制：{reason}", "processing limit exceeded: {reason}"),
    "internal": ("esgcheck 内部错误（{kind}），该申报未予评估；请报告此问题",
                 "internal error in esgcheck ({kind}); the filing was not assessed. "
                 "Please report it"),
    "internal.stage": ("esgcheck 在{doing}时内部出错（阶段 {stage}，{kind}），该申报未予评估，"
                       "其他申报不受影响；请报告此问题",
                       "internal error in esgcheck while {doing} (stage '{stage}', {kind}); "
                       "the filing was not assessed, the other filings are unaffected. "
                       "Please report it"),
    "internal.worker": ("检查该申报的工作进程意外结束（{how}），该申报未予评估，其他申报不受影响；"
                        "请报告此问题",
                        "the worker process checking this filing ended ({how}); the filing "
                        "was not assessed, the other filings are unaffected. Please report it"),
    "stage.read": ("读取文件", "reading the file"),
    "stage.limits": ("检查处理限制", "checking the limits"),
    "stage.validate": ("校验结构", "validating the structure"),
    "stage.as_of": ("确定适用日期", "choosing the as-of date"),
    "stage.derive": ("推导事实", "deriving facts"),
    "stage.check": ("执行检查规则", "running the check rules"),
    "stage.findings": ("生成发现", "building the findings"),
    "stage.grade": ("评级", "grading"),
    "stage.send": ("传递报告", "passing the report on"),
    "limit.bytes": ("文件超过大小上限 {value} 字节，未予评估（可用 --limit bytes=N 调整）",
                    "the file is larger than the limit of {value} bytes and was not assessed "
                    "(adjust with --limit bytes=N)"),
    "limit.depth": ("嵌套层级超过上限 {value}，未予评估（可用 --limit depth=N 调整）",
                    "nesting deeper than the limit of {value} levels; not assessed "
                    "(adjust with --limit depth=N)"),
    "limit.parser_depth": ("嵌套层级超过解析器可处理的 {value} 层，未予评估",
                           "nesting deeper than the parser follows ({value} levels); "
                           "not assessed"),
    "limit.values": ("数据项数量超过上限 {value}，未予评估（可用 --limit values=N 调整）",
                     "more values than the limit of {value}; not assessed "
                     "(adjust with --limit values=N)"),
    "limit.steps": ("规则求值次数超过上限 {value}，未予评估（可用 --limit steps=N 调整）",
                    "more rule evaluations than the limit of {value}; not assessed "
                    "(adjust with --limit steps=N)"),
    "limit.seconds_filing": (
        "读取、校验和规则求值的总时间超过上限 {value} 秒，未予评估（可用 --limit seconds=N 调整）",
        "reading, validating and evaluating the filing took longer than the limit of {value} s; "
        "not assessed (adjust with --limit seconds=N)"),
    "limit.seconds": ("规则求值时间超过上限 {value} 秒，未予评估（可用 --limit seconds=N 调整）",
                      "rule evaluation took longer than the limit of {value} s; not assessed "
                      "(adjust with --limit seconds=N)"),
    # structural findings
    "schema.required": ("缺少必填字段“{name}”", "required field '{name}' is missing"),
    "schema.type": ("类型不符：应为 {expected}", "wrong type: expected {expected}"),
    "schema.enum": ("取值不在允许范围内（允许：{allowed}）",
                    "value is not one of the allowed values ({allowed})"),
    "schema.additionalProperties": ("不应出现的字段“{name}”", "unexpected field '{name}'"),
    "schema.format": ("{value} 格式不符：应为 {format}", "{value} has the wrong format: expected "
                      "{format}"),
    "schema.pattern": ("{value} 格式不符：应匹配 {pattern}", "{value} does not match the pattern "
                       "{pattern}"),
    "schema.truncated": (
        "另有 {more} 处同类结构问题（{kind}）未逐一列出：每类只列出前 {shown} 处",
        "{more} more structural problems of this kind ({kind}) are not listed one by one: "
        "only the first {shown} of each kind are"),
    "schema.other": ("结构错误：{detail}", "structural error: {detail}"),
    "schema.title": ("申报文件结构不符合 {type} 的规范", "filing does not fit the {type} schema"),
    "schema.unit_title": ("数量的单位与字段不符（{type}）",
                          "a quantity's unit does not fit its field ({type})"),
    "asof.title": ("申报日期早于规则库适用的最早日期",
                   "the filing's date is before the rule base applies"),
    "asof.message": ("申报的适用日期 {as_of}（取自 {source}）早于规则库 {rulebase} "
                     "最早版本的生效日期 {first}：该法规可能不适用于此申报，"
                     "或申报中的日期为占位值。{ran}请核对申报日期。",
                     "the filing's as-of date {as_of} (read from {source}) is before the first "
                     "version of rule base {rulebase} ({first}): either the instrument does not "
                     "apply to this filing, or its dates are placeholders. {ran}Check the "
                     "filing's dates."),
    "asof.ran": ("依法定义务的检查未执行；只执行了检验申报数据自身一致性的检查（{rules}）。",
                 "The checks of obligations were not run; only those of the filing's own data "
                 "for consistency were ({rules}). "),
    "asof.none_ran": ("该规则库的检查均未执行。", "None of the rule base's checks ran. "),
    "na.not_carried": ("无法判定：{format} 格式不含判定所需的字段（{fields}）",
                       "not assessable: the {format} format has no place for data needed to "
                       "decide ({fields})"),
    "na.message": ("无法判定：判定所需数据缺失或不可读（{fields}）",
                   "not assessable: data needed to decide is missing or unreadable ({fields})"),
    # values present in a filing but not readable as their field's type
    "unreadable.quantity_shape": ("应为含 value 和 unit 的对象，实为{found}",
                                  "expected an object with value and unit, found {found}"),
    "unreadable.quantity_value": ("数值应为数字，实为{found}",
                                  "the value should be a number, found {found}"),
    "unreadable.unit_none": ("未给出单位（应为{expected}单位，如 {example}）",
                             "no unit is given (expected {expected}, such as {example})"),
    "unreadable.unit_unknown": ("单位“{unit}”无法识别（应为{expected}单位，如 {example}）",
                                "the unit '{unit}' is unknown (expected {expected}, "
                                "such as {example})"),
    "unreadable.unit_dimension": ("单位“{unit}”表示{found}，此处应为{expected}（如 {example}）",
                                  "the unit '{unit}' measures {found}, where {expected} is "
                                  "expected (such as {example})"),
    "unreadable.unit_fraction": ("“{unit}”是体积或质量分数，换算为{expected}需要污染物的摩尔质量"
                                 "和参比状态，无法换算",
                                 "'{unit}' is a fraction by volume or mass; converting it to "
                                 "{expected} needs the pollutant's molar mass and the reference "
                                 "conditions, so it cannot be converted"),
    "unreadable.date": ("“{value}”不是有效日期（应为 YYYY-MM-DD）",
                        "'{value}' is not a valid date (expected YYYY-MM-DD)"),
    "unreadable.type": ("应为{expected}，实为{found}", "expected {expected}, found {found}"),
    # report words
    "file": ("文件", "file"),
    "rule": ("规则", "rule"),
    "severity": ("严重程度", "severity"),
    "grade": ("评级", "grade"),
    "findings": ("发现", "findings"),
    "files": ("文件", "files"),
    "checked": ("已检查", "checked"),
    "failed": ("未通过", "failed"),
    "unreadable": ("无法读取", "unreadable"),
    "not_assessed": ("未评估", "not assessed"),
    "critical": ("严重", "critical"),
    "major": ("主要", "major"),
    "minor": ("次要", "minor"),
    "info": ("提示", "info"),
    "not_assessable": ("无法判定", "not assessable"),
    "waived": ("已豁免", "waived"),
    "breach": ("不符合", "breach"),
    "citation": ("依据", "basis"),
    "location": ("位置", "location"),
    "evidence": ("读取的值", "values read"),
    "remediation": ("整改建议", "remediation"),
    "because": ("推理链", "because"),
    "not_derived": ("未由任何规则推得", "derived by no rule"),
    "absent": ("缺失", "absent"),
    "at_line": ("第 {n} 行", "line {n}"),
    "as_of": ("适用日期", "as of"),
    "rulebase": ("规则库", "rule base"),
    "not_in_force": ("在适用日期未生效", "not in force on the as-of date"),
    "data_check": ("数据一致性检查", "data check"),
    "data_checks": ("{version}（适用日期早于最早版本，仅执行数据一致性检查）",
                    "{version} (the as-of date is before its first version: only the checks of "
                    "the data's own consistency ran)"),
    "no_findings": ("未发现问题", "no findings"),
    "failed_not_assessable": ("其中 {n} 个因无法判定", "{n} not assessable"),
    # the configuration file and rule selection
    "selection_config": ("配置文件 {file}", "configuration file {file}"),
    "selection_rules": ("规则选择：{rules}", "rule selection: {rules}"),
    "selection_off": ("已关闭 {n} 条检查规则（不运行、不报告）：{ids}",
                      "{n} check rule(s) switched off (not run, not reported): {ids}"),
    # waivers and baselines
    "waiver": ("豁免 {id}：{justification}（批准人 {approver}{ticket}，有效期至 {expires}）",
               "waiver {id}: {justification} (approved by {approver}{ticket}, until {expires})"),
    "waivers_file": ("豁免文件 {file}（按 {today} 判断是否到期）",
                     "waivers {file} (expiry judged on {today})"),
    "waiver_expired": ("豁免 {id}（{rule}，第 {line} 行）已于 {expires} 到期，不再适用；"
                       "其匹配的 {matched} 项发现照常计入",
                       "waiver {id} ({rule}, line {line}) expired on {expires} and no longer "
                       "applies; the {matched} finding(s) it matched count again"),
    "waiver_unused": ("豁免 {id}（{rule}，第 {line} 行）未匹配任何发现，可删除",
                      "waiver {id} ({rule}, line {line}) matched no finding; it can be removed"),
    "waiver_wide": ("豁免 {id}（{rule}，第 {line} 行）为通配模式“{filings}”，"
                    "豁免了 {n} 个文件中的发现：{files}",
                    "waiver {id} ({rule}, line {line}) is the pattern '{filings}' and waived "
                    "findings in {n} filing(s): {files}"),
    "waiver_literal": ("豁免 {id}（{rule}，第 {line} 行）的 filings“{filings}”按字面匹配文件名，"
                       "没有文件叫这个名字；如需通配多个文件，请改写为 filings_glob",
                       "waiver {id} ({rule}, line {line}): filings '{filings}' is one "
                       "filing's name, taken literally, and no filing has that name; for a "
                       "pattern over several filings write filings_glob instead"),
    "baseline_known": ("基线 {file} 已记录的 {known} 项发现未列出",
                       "{known} finding(s) known to baseline {file} not shown"),
    "baseline_fixed": ("基线中已不再出现的发现（已整改）：{n} 项",
                       "baseline findings no longer found (fixed): {n}"),
    "baselined": ("基线已知 {n} 项，未列出", "{n} known to the baseline, not shown"),
}


Words = Mapping[str, tuple[str, str]]


def words(table: Words, key: str, lang: str, /, **params: object) -> str:
    """A word of a renderer's own ``table`` (zh, en), else of the tool's messages,
    in ``lang`` and filled with ``params``."""
    zh, en = table[key] if key in table else MESSAGES[key]
    template = zh if lang == "zh" else en
    return template.format(**params) if params else template


def message(code: str, lang: str, /, **params: object) -> str:
    return words(MESSAGES, code, lang, **params)


def colon(lang: str) -> str:
    """The colon after a label: full-width in Chinese."""
    return "：" if lang == "zh" else ": "

