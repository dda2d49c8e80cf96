// The one module every page shares: cookies, the CSRF token, JSON in and out, the
// data Django writes into the page, and the checker for the rules Django sends.
// Pages import it as "meiduo" (the import map in templates/base.html).

export function cookie(name) {
  const match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
  return match ? decodeURIComponent(match[1]) : "";
}

export function csrfToken() {
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  return field ? field.value : cookie("csrftoken");
}

export function newUuid() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16),
  );
}

// The server answered, but not with JSON (an HTML error page, a proxy's 502).
export class BadResponse extends Error {
  constructor(status) {
    super("not a JSON answer (HTTP " + status + ")");
    this.status = status;
  }
}

async function jsonOf(response) {
  try {
    return await response.json();
  } catch {
    throw new BadResponse(response.status);
  }
}

// Resolves to the JSON body whatever the status ({code, message, field?, ...});
// rejects with a TypeError when the network fails, with BadResponse when the body is
// not JSON.
export async function getJson(url) {
  const response = await fetch(url, {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  return jsonOf(response);
}

// A JSON body sent with the CSRF header (POST, PUT, ...); answered as getJson is.
export async function sendJson(method, url, data) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRFToken": csrfToken(),
    },
    body: JSON.stringify(data),
  });
  return jsonOf(response);
}

export function postJson(url, data) {
  return sendJson("POST", url, data);
}

// What Django wrote with {{ value|json_script:"id" }}.
export function pageData(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : {};
}

// A URL reversed by Django with ":name" placeholders, e.g. "/mobiles/:mobile/count/",
// filled in with each value as one path segment.
export function fillUrl(template, values) {
  return template.replace(/:([A-Za-z_]\w*)/g, (placeholder, name) =>
    name in values ? encodeURIComponent(values[name]) : placeholder,
  );
}

// A pattern's source is valid in Python and in JS; "u" reads \u escapes and counts
// characters as Python does. One the browser cannot compile is left to the server.
const compiled = new Map();
function regex(source) {
  if (!compiled.has(source)) {
    let re = null;
    try {
      re = new RegExp(source, "u");
    } catch {
      try {
        re = new RegExp(source);
      } catch {
        re = null;
      }
    }
    compiled.set(source, re);
  }
  return compiled.get(source);
}

// The first message a field's value earns under its rules from Django (ApiFormMixin.
// page_rules), in the order Django checks: empty, then patterns, then length. "" when
// the value passes. A limit without a message is left to the server.
export function ruleError(rule, value) {
  if (!rule) return "";
  if (value === "" || value === false || value === null || value === undefined) {
    return rule.required || "";
  }
  const text = String(value);
  for (const { pattern, message, inverse } of rule.patterns || []) {
    const re = regex(pattern);
    if (re && re.test(text) === !!inverse) return message;
  }
  const length = Array.from(text).length; // characters, as Python's len()
  if (rule.minLength != null && length < rule.minLength && rule.minLengthMessage) {
    return rule.minLengthMessage;
  }
  if (rule.maxLength != null && length > rule.maxLength && rule.maxLengthMessage) {
    return rule.maxLengthMessage;
  }
  return "";
}

// A checker bound to a page's rules: check("username", value) -> message or "".
export function ruleChecker(rules) {
  return (field, value) => ruleError(rules[field], value);
}
