// Shared by every page: cookies, the CSRF token, and the greeting in the top bar.
window.meiduo = {
  cookie: function (name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  },
  csrfToken: function () {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : window.meiduo.cookie("csrftoken");
  },
  newUuid: function () {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  },
  getJson: function (url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); });
  },
};

// The greeting in the top bar and on the home page, from the username cookie.
["#user-nav", "#home-app"].forEach(function (selector) {
  if (!document.querySelector(selector)) return;
  Vue.createApp({
    delimiters: ["[[", "]]"],  // Django templates own {{ }}
    data: function () { return { username: window.meiduo.cookie("username") }; },
  }).mount(selector);
});
