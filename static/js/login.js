// The login page, two tabs. By password: a plain form post (the server handles `next`
// and renders its refusal into the page); Vue only checks, by Django's rules, that both
// fields are filled before it goes. By SMS code: the captcha, the SMS button (purpose
// "login") and a JSON post to /login/sms/, whose refusals land beside their field.
import { createApp, nextTick } from "vue";
import { pageData } from "meiduo";
import { jsonForm } from "meiduo/forms";

const root = document.getElementById("login-app");
const page = root.dataset; // URLs and the server's refusal (templates/users/login.html)
const TABS = ["password", "sms"];

const form = jsonForm({
  fields: ["mobile", "sms_code", "remembered"],
  rules: pageData("page-rules"),
  url: page.urlLoginSms,
  sms: {
    urlSmsCode: page.urlSmsCode,
    urlImageCode: page.urlImageCode,
    imageCodeId: page.imageCodeId,
    purpose: "login",
  },
  initial: { username: page.username || "", password: "", mobile: page.mobile || "", remembered: false },
  done() {
    // `next` was checked by the server (a local URL or "") when it drew the page.
    window.location.href = page.next || page.urlDone;
  },
});

createApp({
  ...form,
  data() {
    const data = form.data.call(this);
    data.errors.username = "";
    data.errors.password = "";
    data.tab = TABS.includes(page.tab) ? page.tab : "password";
    if (data.tab === "sms" && page.errmsg) {
      const slot = page.field in data.errors ? page.field : null;
      if (slot) data.errors[slot] = page.errmsg;
      else data.topError = page.errmsg;
    }
    return data;
  },
  watch: {
    ...form.watch,
    // A field's error goes as soon as what is typed passes (see meiduo/forms).
    "values.username"() {
      if (this.errors.username && !this.localError("username")) this.errors.username = "";
    },
    "values.password"() {
      if (this.errors.password && !this.localError("password")) this.errors.password = "";
    },
  },
  methods: {
    ...form.methods,
    async show(tab, focus = false) {
      this.tab = tab;
      if (focus) {
        await nextTick();
        document.getElementById("tab-" + tab).focus();
      }
    },
    // The arrow keys move between the tabs, as a tab list does.
    arrowKey(event) {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      event.preventDefault();
      this.show(this.tab === "password" ? "sms" : "password", true);
    },
    submitPassword(event) {
      const ok = ["username", "password"].map((field) => this.check(field));
      if (ok.includes(false)) event.preventDefault();
    },
  },
}).mount(root);
