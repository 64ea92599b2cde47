// esgcheck serve: the page. Vanilla JavaScript, no framework, nothing loaded
// from elsewhere. Every text that comes from the server or a filing is put in
// the page as text (textContent), never as markup; the HTML report is shown
// in a sandboxed frame without the page's origin.
"use strict";
(() => {
  const API = "/api/v1";
  const WORDS = {
    en: {
      nav_check: "Check", nav_batches: "Batches", nav_rules: "Rules", logout: "Sign out",
      sign_in: "Sign in", token: "Token", sign_in_hint: "This server asks for a token.",
      drop: "Drop filings here (.json, .xml, or one .zip), or", choose: "choose files",
      one_file: "One file is checked at once; several files or a zip become a batch.",
      label: "Batch label (optional)", checking: "Checking…", grade: "Grade",
      exit_code: "Exit code", report: "Report", batches: "Batches", batch: "Batch",
      status: "Status", progress: "Progress", files: "Files", started: "Started",
      distribution: "Grade distribution", filings: "Filings", file: "File",
      type: "Filing type", breaches: "Breaches", any: "any", rule: "Rule",
      severity: "Severity (or worse)", filter: "Filter", prev: "Previous", next: "Next",
      page: "Page {p} of {n} ({t} filings)", findings: "Findings", no_findings: "No findings.",
      citation: "Citation", location: "Location", values: "Values read", proof: "Proof",
      message: "Message", remediation: "What to do", name: "Name", value: "Value",
      source: "Source", absent: "absent", rules: "Rules", search: "Search", title: "Title",
      section: "Section", full_report: "Full report", open: "Open", none: "No batches yet.",
      queued: "queued", running: "running", complete: "complete", interrupted: "interrupted",
      tenant: "Tenant", role: "role", delete: "Delete", deleted: "Batch deleted.",
      confirm: "Delete this batch and its filings?", no_data: "no filings yet",
    },
    zh: {
      nav_check: "检查", nav_batches: "批次", nav_rules: "规则", logout: "退出",
      sign_in: "登录", token: "令牌", sign_in_hint: "此服务需要令牌。",
      drop: "将申报文件拖放到此处（.json、.xml 或一个 .zip），或", choose: "选择文件",
      one_file: "单个文件立即检查；多个文件或 zip 作为批次检查。",
      label: "批次标签（可选）", checking: "检查中…", grade: "等级",
      exit_code: "退出码", report: "报告", batches: "批次", batch: "批次",
      status: "状态", progress: "进度", files: "文件数", started: "开始时间",
      distribution: "等级分布", filings: "申报文件", file: "文件",
      type: "申报类型", breaches: "违规数", any: "全部", rule: "规则",
      severity: "严重程度（及以上）", filter: "筛选", prev: "上一页", next: "下一页",
      page: "第 {p} / {n} 页（共 {t} 份）", findings: "发现", no_findings: "无发现。",
      citation: "依据", location: "位置", values: "读取的值", proof: "推导",
      message: "说明", remediation: "整改建议", name: "名称", value: "值",
      source: "来源", absent: "缺失", rules: "规则", search: "搜索", title: "标题",
      section: "章节", full_report: "完整报告", open: "打开", none: "尚无批次。",
      queued: "排队中", running: "检查中", complete: "已完成", interrupted: "已中断",
      tenant: "租户", role: "角色", delete: "删除", deleted: "批次已删除。",
      confirm: "删除此批次及其申报文件？", no_data: "尚无申报文件",
    },
  };
  const SEVERITIES = ["critical", "major", "minor", "info"];
  let lang = localStorage.getItem("esgcheck-lang") || (navigator.language.startsWith("zh") ? "zh" : "en");
  let timer = null;
  let rulesCache = null;

  const $ = (sel, root = document) => root.querySelector(sel);
  const t = (key, params = {}) => (WORDS[lang][key] || key).replace(/\{(\w+)\}/g, (_, k) => params[k]);
  const text = (value) => (value && typeof value === "object" && "en" in value) ? (value[lang] || value.en) : value;

  function el(tag, attrs = {}, ...children) {
    const node = tag.startsWith("svg:") ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
      : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function say(message) {
    const box = $("#alert");
    box.textContent = message || "";
    box.hidden = !message;
  }

  // every request of the page: in its language, with the session cookie and the
  // header that marks it as the page's own (a change by cookie needs it)
  function send(path, options = {}) {
    const headers = Object.assign({"Accept-Language": lang, "X-Esgcheck-Request": "1"},
                                  options.headers || {});
    return fetch(API + path, Object.assign({}, options, {headers, credentials: "same-origin"}));
  }

  // what a refused request says: the problem's title and detail, else the status
  async function problem(answer) {
    try { const p = await answer.json(); return `${p.title}: ${p.detail}`; } catch (e) { /* not JSON */ }
    return answer.statusText;
  }

  async function api(path, options = {}) {
    const answer = await send(path, options);
    if (answer.status === 401) { showSignIn(); throw Object.assign(new Error("unauthorized"), {said: true}); }
    if (!answer.ok) {
      const detail = await problem(answer);
      say(detail);
      throw Object.assign(new Error(detail), {said: true});
    }
    return answer;
  }
  const json = async (path, options) => (await api(path, options)).json();

  // what the server refused is said in #alert; anything else is a fault of the page's own
  function quiet(promise) {
    promise.catch((e) => { if (!e.said) { say(String(e)); console.error(e); } });
  }

  // -- views
  function showSignIn() {
    stopPolling();
    const input = el("input", {type: "password", id: "token", autocomplete: "off", required: true, size: 40});
    const form = el("form", {class: "signin", onsubmit: async (event) => {
      event.preventDefault();
      const answer = await send("/session", {method: "POST", headers: {"Authorization": "Bearer " + input.value}});
      input.value = "";
      if (!answer.ok) { say(await problem(answer)); return; }
      say("");
      quiet(route());
    }}, el("p", {}, t("sign_in_hint")), el("label", {}, t("token"), " ", input), " ",
      el("button", {class: "primary", type: "submit"}, t("sign_in")));
    $("#main").replaceChildren(el("h1", {}, t("sign_in")), form);
  }

  function checkView() {
    const chooser = el("input", {type: "file", id: "files", multiple: true, accept: ".json,.xml,.zip",
      onchange: () => quiet(upload([...chooser.files]))});
    const label = el("input", {type: "text", id: "label", maxlength: 200});
    const zone = el("div", {class: "drop", id: "drop"},
      el("p", {}, t("drop"), " ", el("label", {class: "choose"}, el("u", {}, t("choose")), chooser)),
      el("p", {class: "muted"}, t("one_file")),
      el("label", {}, t("label"), " ", label));
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault(); zone.classList.remove("over");
      quiet(upload([...e.dataTransfer.files]));
    });
    $("#main").replaceChildren(el("h1", {}, t("nav_check")), zone, el("div", {id: "result"}));
  }

  async function upload(files) {
    if (!files.length) return;
    say("");
    const result = $("#result");
    const single = files.length === 1 && !files[0].name.toLowerCase().endsWith(".zip");
    const form = new FormData();
    if (single) {
      result.replaceChildren(el("p", {}, t("checking")));
      form.append("file", files[0], files[0].name);
      const answer = await api(`/check?format=html&lang=${lang}`, {method: "POST", body: form});
      const report = await answer.text();
      const grade = answer.headers.get("Esgcheck-Grade") || "–";
      result.replaceChildren(
        el("p", {}, t("grade"), ": ", el("span", {class: "grade big", id: "grade"}, grade), " ",
           el("span", {class: "muted"}, `${t("exit_code")} ${answer.headers.get("Esgcheck-Exit-Code")}`)),
        el("h2", {}, t("report")),
        el("iframe", {class: "report", id: "report", sandbox: "allow-scripts", srcdoc: report,
                      title: t("report")}));
      return;
    }
    for (const file of files) form.append("files", file, file.name);
    const label = $("#label").value.trim();
    const accepted = await json(`/batches${label ? "?label=" + encodeURIComponent(label) : ""}`,
                                {method: "POST", body: form});
    location.hash = `#/batch/${accepted.id}`;
  }

  async function batchesView() {
    const list = await json("/batches");
    const rows = list.map((b) => el("tr", {},
      el("td", {}, el("a", {href: `#/batch/${b.id}`}, String(b.id))),
      el("td", {}, b.label || ""), el("td", {}, t(b.status)),
      el("td", {}, `${b.progress.done} / ${b.progress.files}`), el("td", {}, b.started)));
    $("#main").replaceChildren(el("h1", {}, t("batches")), list.length ? el("table", {id: "batches"},
      el("thead", {}, el("tr", {}, ["#", t("label"), t("status"), t("progress"), t("started")].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows)) : el("p", {}, t("none")));
  }

  const state = {grade: "", type: "", rule: "", severity: "", sort: "position", order: "asc", page: 1};

  async function batchView(id) {
    Object.assign(state, {grade: "", type: "", rule: "", severity: "", sort: "position", order: "asc", page: 1});
    const head = el("div", {id: "batch-head"});
    const chart = el("div", {id: "chart"});
    const filters = el("form", {class: "filters", id: "filters"});
    const table = el("div", {id: "filings"});
    const detail = el("div", {id: "detail"});
    $("#main").replaceChildren(el("h1", {}, `${t("batch")} ${id}`), head, chart, filters, table, detail);
    const rules = await allRules();
    const types = [...new Set(rules.map((r) => r.filing_type))].sort();
    let shown = "";
    const refresh = async () => {
      const batch = await json(`/batches/${id}`);
      const running = batch.status === "queued" || batch.status === "running";
      head.replaceChildren(el("p", {},
        `${t("status")}: `, el("strong", {id: "status", "data-status": batch.status}, t(batch.status)), " · ",
        el("progress", {id: "bar", max: batch.progress.files, value: batch.progress.done}), " ",
        el("span", {id: "done"}, `${batch.progress.done} / ${batch.progress.files}`),
        batch.label ? ` · ${batch.label}` : "", " ",
        running ? null : el("button", {type: "button", id: "delete", onclick: () => quiet(removeBatch(id))}, t("delete"))));
      const seen = `${batch.status} ${batch.progress.done}`;  // filings are stored in groups
      if (seen !== shown) {
        shown = seen;
        drawChart(chart, batch.summary ? batch.summary.grades : {});
        fillFilters(filters, batch.summary ? Object.keys(batch.summary.grades) : [], types, rules, id);
        await filingsTable(table, id);
      }
      if (running) timer = setTimeout(() => quiet(refresh()), 700);
    };
    await refresh();
  }

  async function removeBatch(id) {
    if (!confirm(t("confirm"))) return;
    await api(`/batches/${id}`, {method: "DELETE"});
    say("");
    location.hash = "#/batches";
  }

  function drawChart(box, grades) {
    const entries = Object.entries(grades);
    const max = Math.max(1, ...entries.map(([, n]) => n));
    const rowH = 26, width = 480, left = 60;
    const svg = el("svg:svg", {class: "dist", id: "distribution", role: "img", viewBox: `0 0 ${width} ${Math.max(1, entries.length) * rowH + 6}`,
      "aria-label": `${t("distribution")}: ${entries.map(([g, n]) => `${g} ${n}`).join(", ") || t("no_data")}`});
    entries.forEach(([g, n], i) => {
      const w = Math.round((width - left - 50) * n / max);
      const y = i * rowH + 4;
      svg.append(el("svg:text", {x: 4, y: y + 15}, g),
        el("svg:rect", {x: left, y, width: Math.max(w, 1), height: rowH - 8, "data-grade": g, "data-count": n},
           el("svg:title", {}, `${g}: ${n}`)),
        el("svg:text", {x: left + w + 6, y: y + 15}, String(n)));
    });
    box.replaceChildren(el("h2", {}, t("distribution")), svg);
  }

  function fillFilters(form, grades, types, rules, id) {
    const select = (name, values, shown = (v) => v) => el("label", {}, t(name === "grade" ? "grade" : name),
      el("select", {name, id: `f-${name}`, onchange: (e) => { state[name] = e.target.value; state.page = 1; quiet(filingsTable($("#filings"), id)); }},
        el("option", {value: ""}, t("any")),
        values.map((v) => el("option", {value: v, selected: state[name] === v}, shown(v)))));
    const ruleInput = el("input", {name: "rule", id: "f-rule", list: "rule-ids", value: state.rule, size: 18});
    form.onsubmit = (e) => { e.preventDefault(); state.rule = ruleInput.value.trim(); state.page = 1; quiet(filingsTable($("#filings"), id)); };
    form.replaceChildren(select("grade", grades), select("type", types),
      el("label", {}, t("rule"), ruleInput), el("datalist", {id: "rule-ids"}, rules.map((r) => el("option", {value: r.id}))),
      select("severity", SEVERITIES), el("button", {type: "submit", id: "f-apply"}, t("filter")));
  }

  async function filingsTable(box, id) {
    const q = new URLSearchParams({page: state.page, per_page: 50, sort: state.sort, order: state.order});
    for (const k of ["grade", "type", "rule", "severity"]) if (state[k]) q.set(k, state[k]);
    const data = await json(`/batches/${id}/filings?${q}`);
    const sortable = (key, label) => el("th", {}, el("button", {type: "button", class: "sort", "data-sort": key,
      "aria-sort": state.sort === key ? (state.order === "asc" ? "ascending" : "descending") : "none",
      onclick: () => { state.order = state.sort === key && state.order === "asc" ? "desc" : "asc"; state.sort = key; quiet(filingsTable(box, id)); }}, label));
    const pages = Math.max(1, Math.ceil(data.total / data.per_page));
    box.replaceChildren(el("h2", {}, t("filings")),
      el("table", {id: "filing-table"}, el("thead", {}, el("tr", {}, sortable("position", "#"), sortable("file", t("file")),
        sortable("type", t("type")), sortable("grade", t("grade")), sortable("breaches", t("breaches")))),
        el("tbody", {}, data.items.map((f) => el("tr", {class: "filing", "data-id": f.id, tabindex: 0,
          onclick: () => quiet(showFiling(f.id)), onkeydown: (e) => { if (e.key === "Enter") quiet(showFiling(f.id)); }},
          el("td", {}, f.id.split("-")[1]), el("td", {}, el("code", {}, f.file)), el("td", {}, f.filing_type || ""),
          el("td", {}, el("span", {class: "grade"}, f.grade || "–")), el("td", {}, String(f.breaches)))))),
      el("div", {class: "pager"},
        el("button", {type: "button", disabled: state.page <= 1, onclick: () => { state.page -= 1; quiet(filingsTable(box, id)); }}, t("prev")),
        el("span", {id: "page"}, t("page", {p: data.page, n: pages, t: data.total})),
        el("button", {type: "button", disabled: state.page >= pages, onclick: () => { state.page += 1; quiet(filingsTable(box, id)); }}, t("next"))));
  }

  async function showFiling(id) {
    document.querySelectorAll("tr.filing").forEach((r) => r.classList.toggle("open", r.dataset.id === id));
    const report = await json(`/filings/${id}?format=json&lang=${lang}`);
    const filing = report.filings[0];
    const findings = filing.findings.map((f, i) => findingView(f, i));
    const frame = el("div", {id: "full-report"});
    $("#detail").replaceChildren(el("h2", {}, el("code", {}, filing.file), " ",
        el("span", {class: "grade"}, filing.grade || "–")),
      el("h3", {}, t("findings")), ...(findings.length ? findings : [el("p", {}, t("no_findings"))]),
      el("button", {type: "button", id: "show-report", onclick: async () => {
        const html = await (await api(`/filings/${id}?format=html&lang=${lang}`)).text();
        frame.replaceChildren(el("iframe", {class: "report", sandbox: "allow-scripts", srcdoc: html, title: t("full_report")}));
      }}, t("full_report")), frame);
    $("#detail").scrollIntoView({block: "start"});
  }

  function findingView(f, i) {
    const loc = f.location;
    const place = [loc.file, loc.line, loc.column].filter((x) => x !== null && x !== undefined).join(":");
    return el("details", {class: "finding", "data-rule": f.rule_id, id: `finding-${i}`},
      el("summary", {}, el("span", {class: `sev sev-${f.severity}`}, f.severity), " ",
        el("code", {}, f.rule_id), " ", text(f.title), f.outcome !== "breach" ? ` (${f.outcome})` : ""),
      el("dl", {class: "facts"},
        el("dt", {}, t("message")), el("dd", {}, text(f.message)),
        el("dt", {}, t("citation")), el("dd", {class: "citation"}, text(f.citation.text)),
        el("dt", {}, t("location")), el("dd", {class: "location"}, el("code", {}, place), " ", el("code", {class: "muted"}, loc.pointer)),
        f.remediation ? [el("dt", {}, t("remediation")), el("dd", {}, text(f.remediation))] : null),
      el("h4", {}, t("values")), evidenceTable(f.evidence),
      f.derivation.length ? [el("h4", {}, t("proof")), el("ul", {class: "proof tree"}, f.derivation.map(proofNode))] : null);
  }

  function evidenceTable(items) {
    if (!items.length) return el("p", {class: "muted"}, "–");
    return el("table", {class: "values"}, el("thead", {}, el("tr", {}, [t("name"), t("value"), t("source")].map((h) => el("th", {}, h)))),
      el("tbody", {}, items.map((e) => el("tr", {}, el("td", {}, el("code", {}, e.name)),
        el("td", {}, e.present ? e.display : t("absent")), el("td", {}, e.source)))));
  }

  function proofNode(node) {
    return el("li", {class: "proof-node"}, el("code", {}, `${node.fact} = ${node.value}`),
      el("span", {class: "muted"}, ` (${node.rules.join(", ")}) ${node.entity}`),
      node.evidence.length ? evidenceTable(node.evidence) : null,
      node.because.length ? el("ul", {class: "proof"}, node.because.map(proofNode)) : null);
  }

  async function allRules() {
    if (rulesCache === null) rulesCache = await json("/rules");
    return rulesCache;
  }

  async function rulesView() {
    const rules = await allRules();
    const search = el("input", {type: "search", id: "rule-search", size: 30});
    const body = el("tbody", {});
    const draw = () => {
      const q = search.value.trim().toLowerCase();
      body.replaceChildren(...rules.filter((r) => !q || `${r.id} ${text(r.title)} ${text(r.citation)}`.toLowerCase().includes(q))
        .map((r) => el("tr", {"data-rule": r.id}, el("td", {}, el("code", {}, r.id)),
          el("td", {}, el("span", {class: `sev sev-${r.severity}`}, r.severity)), el("td", {}, r.filing_type),
          el("td", {}, text(r.title)), el("td", {}, text(r.citation)))));
    };
    search.addEventListener("input", draw);
    draw();
    $("#main").replaceChildren(el("h1", {}, t("rules")), el("label", {}, t("search"), " ", search),
      el("table", {id: "rules"}, el("thead", {}, el("tr", {}, ["ID", t("severity"), t("type"), t("title"), t("citation")].map((h) => el("th", {}, h)))), body));
  }

  // -- frame
  function stopPolling() { if (timer !== null) { clearTimeout(timer); timer = null; } }

  function words() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
    const other = lang === "zh" ? "en" : "zh";
    $("#lang").textContent = other === "zh" ? "中文" : "English";
    $("#lang").setAttribute("lang", other === "zh" ? "zh-CN" : "en");
  }

  async function route() {
    stopPolling();
    words();
    const hash = location.hash || "#/";
    document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("here",
      hash === a.getAttribute("href") || (a.getAttribute("href") === "#/batches" && hash.startsWith("#/batch/"))));
    const me = await json("/session");
    $("#who").textContent = me.tenant ? `${t("tenant")} ${me.tenant} · ${t("role")} ${me.role}` : "";
    $("#logout").hidden = !me.tokens;
    const batch = hash.match(/^#\/batch\/(\d+)$/);
    if (batch) return batchView(batch[1]);
    if (hash === "#/batches") return batchesView();
    if (hash === "#/rules") return rulesView();
    return checkView();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#lang").addEventListener("click", () => {
      lang = lang === "zh" ? "en" : "zh";
      localStorage.setItem("esgcheck-lang", lang);
      say("");
      quiet(route());
    });
    $("#logout").addEventListener("click", async () => {
      await send("/session", {method: "DELETE"});
      showSignIn();
    });
    window.addEventListener("hashchange", () => { say(""); quiet(route()); });
    window.addEventListener("beforeprint", () => document.querySelectorAll("details").forEach((d) => { d.open = true; }));
    quiet(route());
  });
})();
