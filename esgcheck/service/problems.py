"""Errors as RFC 9457 problem details (``application/problem+json``), in
Chinese or English by the request's ``Accept-Language``.

Every answer that is not a success is one of the problems below: a ``type``
naming it (``urn:esgcheck:problem:<code>``), a ``title`` and a ``detail`` in
the client's language, the HTTP ``status``, the ``instance`` (the request's
path) and ``code``. Nothing of a stack trace or of the server's files ever
reaches a client: a fault of the server's own is the ``internal`` problem and
is logged on the server.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

PROBLEM_TYPE = "application/problem+json"

# code -> status, (title zh, title en), (detail zh, detail en): details are
# str.format templates
PROBLEMS: dict[str, tuple[int, tuple[str, str], tuple[str, str]]] = {
    "unauthorized": (401, ("需要令牌", "Token required"),
                     ("请求须带有效的令牌（Authorization: Bearer）或会话",
                      "The request needs a valid token (Authorization: Bearer) or session.")),
    "forbidden": (403, ("无权执行", "Not allowed"),
                  ("只读角色不能{action}", "A reader cannot {action_en}.")),
    "csrf": (403, ("缺少请求标头", "Request header missing"),
             ("以会话 cookie 修改数据的请求须带标头 X-Esgcheck-Request",
              "A request that changes something with the session cookie needs the header "
              "X-Esgcheck-Request.")),
    "not_found": (404, ("未找到", "Not found"),
                  ("没有此资源：{what}", "There is no {what}.")),
    "no_route": (404, ("未找到", "Not found"),
                 ("没有此路径：{path}", "There is no route {path}.")),
    "method_not_allowed": (405, ("方法不允许", "Method not allowed"),
                           ("{path} 不接受 {method} 请求", "{path} does not accept {method}.")),
    "invalid_parameter": (422, ("参数无效", "Invalid parameter"),
                          ("参数 {name} 无效：{reason}",
                           "Parameter {name} is not valid: {reason}")),
    "unknown_type": (422, ("未知的申报类型", "Unknown filing type"),
                     ("未知的申报类型 {value}（可用：{known}）",
                      "Unknown filing type {value} (known: {known}).")),
    "unknown_format": (422, ("未知的输出格式", "Unknown format"),
                       ("未知的输出格式 {value}（可用：{known}）",
                        "Unknown format {value} (formats: {known}).")),
    "no_filing": (400, ("请求中没有申报文件", "No filing in the request"),
                  ("请求正文为空，或 multipart 请求中没有文件字段 {field}",
                   "The body is empty, or the multipart request has no file field {field}.")),
    "unsupported_media": (415, ("不支持的内容类型", "Unsupported media type"),
                          ("不支持内容类型 {value}；可用：{known}",
                           "Content type {value} is not accepted; use {known}.")),
    "bad_multipart": (400, ("multipart 请求无法解析", "Malformed multipart request"),
                      ("multipart 请求无法解析：{reason}",
                       "The multipart request cannot be read: {reason}")),
    "request_too_large": (413, ("请求过大", "Request too large"),
                          ("请求正文超过上限 {limit} 字节",
                           "The request body is over the limit of {limit} bytes.")),
    "too_many_files": (413, ("文件过多", "Too many files"),
                       ("一个批次最多 {limit} 个文件，收到 {count} 个",
                        "A batch holds at most {limit} files; this one has {count}.")),
    "duplicate_name": (422, ("文件名重复", "Duplicate file name"),
                       ("批次中文件名 {name} 出现不止一次",
                        "The file name {name} appears more than once in the batch.")),
    "bad_name": (422, ("文件名不可接受", "File name refused"),
                 ("文件名 {name} 被拒绝：{reason}", "The file name {name} is refused: {reason}")),
    "not_a_filing": (422, ("不是申报文件", "Not a filing"),
                     ("{name} 不是 .json 或 .xml 文件", "{name} is not a .json or .xml file.")),
    "bad_zip": (422, ("zip 文件无法读取", "Unreadable zip"),
                ("zip 文件无法读取：{reason}", "The zip file cannot be read: {reason}")),
    "zip_members": (413, ("zip 成员过多", "Too many zip members"),
                    ("zip 最多 {limit} 个成员，此文件有 {count} 个",
                     "A zip may hold at most {limit} members; this one has {count}.")),
    "zip_size": (413, ("zip 解压后过大", "Zip too large uncompressed"),
                 ("zip 解压后总大小超过上限 {limit} 字节",
                  "The zip's members uncompressed exceed the limit of {limit} bytes.")),
    "zip_ratio": (413, ("zip 压缩比过高", "Zip compression ratio too high"),
                  ("成员 {name} 的压缩比超过 {limit}:1（疑似 zip 炸弹）",
                   "Member {name} expands more than {limit}:1 (a zip bomb?).")),
    "zip_member_name": (422, ("zip 成员名不可接受", "Zip member name refused"),
                        ("zip 成员名 {name} 被拒绝：{reason}",
                         "The zip member name {name} is refused: {reason}")),
    "zip_link": (422, ("zip 中含链接", "Link in zip"),
                 ("zip 成员 {name} 是符号链接，不予接受",
                  "The zip member {name} is a symbolic link, which is refused.")),
    "zip_nested": (422, ("zip 中含 zip", "Nested zip"),
                   ("zip 成员 {name} 本身是 zip 文件，不予接受",
                    "The zip member {name} is itself a zip file, which is refused.")),
    "batch_busy": (409, ("批次仍在进行", "Batch still in progress"),
                   ("批次 {id} 仍在检查中，完成后才能删除",
                    "Batch {id} is still being checked; it can be deleted once it is done.")),
    "store_unavailable": (503, ("结果库不可用", "Store unavailable"),
                          ("结果库 {store} 不可用：{reason}",
                           "The results store {store} cannot be used: {reason}")),
    "internal": (500, ("服务器内部错误", "Internal server error"),
                 ("服务器处理请求时出错；详情已记录在服务器日志中（编号 {ref}）",
                  "The server failed on this request; the details are in its log "
                  "(reference {ref}).")),
}


class ProblemError(Exception):
    """A problem to answer with: its code (a key of PROBLEMS) and the values
    its detail names."""

    def __init__(self, code: str, headers: dict[str, str] | None = None,
                 **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
        self.headers = headers or {}


def language(request: Request) -> str:
    """``zh`` or ``en``: the ``lang`` query parameter when it is one of them,
    else the first of them ``Accept-Language`` prefers (by q), else en."""
    asked = request.query_params.get("lang")
    if asked in ("zh", "en"):
        return asked
    return accept_language(request.headers.get("accept-language", ""))


def accept_language(header: str) -> str:
    best: tuple[float, int, str] | None = None
    for order, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = "zh" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if lang is None or q <= 0:
            continue
        if best is None or (q, -order) > (best[0], -best[1]):
            best = (q, order, lang)
    return best[2] if best else "en"


def problem_body(code: str, lang: str, instance: str, **params: Any) -> dict[str, Any]:
    status, titles, details = PROBLEMS[code]
    i = 0 if lang == "zh" else 1
    safe = {k: _short(v) for k, v in params.items()}
    return {"type": f"urn:esgcheck:problem:{code}", "title": titles[i], "status": status,
            "detail": details[i].format(**safe), "instance": instance, "code": code}


def _short(value: Any) -> str:
    """A value a problem names, as text of bounded length (it may come from
    the client: a file name, a parameter)."""
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def problem_response(request: Request, code: str, headers: dict[str, str] | None = None,
                     **params: Any) -> JSONResponse:
    lang = language(request)
    body = problem_body(code, lang, request.url.path, **params)
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_TYPE,
                        headers={"Content-Language": lang, **(headers or {})})


def problem_responses(*codes: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answers of the problems ``codes``, by status."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        status = PROBLEMS[code][0]
        out[status] = {"description": PROBLEMS[code][1][1],
                       "content": {PROBLEM_TYPE: {"schema": {"$ref":
                                                             "#/components/schemas/Problem"}}}}
    return out
