// The register page: each field checked by Django's rules when the shopper leaves it
// (and the username and mobile asked of the count endpoints), the captcha, the SMS
// button with its countdown, and a JSON post whose refusals land beside the field they
// name (meiduo/forms). Rules, URLs and texts all come from the page.
import { createApp } from "vue";
import { fillUrl, getJson, pageData } from "meiduo";
import { jsonForm } from "meiduo/forms";

const root = document.getElementById("register-app");
const page = root.dataset; // URLs, texts and the server's refusal (templates/users/register.html)

const form = jsonForm({
  fields: ["username", "password", "password2", "mobile", "sms_code", "allow"],
  rules: pageData("page-rules"),
  same: { password2: "password" },
  url: page.urlRegister,
  failed: page.msgFailed,
  sms: {
    urlSmsCode: page.urlSmsCode,
    urlImageCode: page.urlImageCode,
    imageCodeId: page.imageCodeId,
    purpose: "register",
  },
  initial: { username: page.username || "", mobile: page.mobile || "", allow: false },
  done() {
    window.location.href = page.urlDone;
  },
});

createApp({
  ...form,
  data() {
    const data = form.data.call(this);
    if (page.errmsg) {
      const slot = page.field === "image_code_id" ? "image_code" : page.field;
      if (slot in data.errors) data.errors[slot] = page.errmsg;
      else data.topError = page.errmsg;
    }
    return data;
  },
  methods: {
    ...form.methods,
    // Answers a count endpoint's JSON: taken or not, or its refusal. A network failure
    // counts as fine: the server checks again on submit.
    async checkTaken(field, url, takenMessage) {
      try {
        const body = await getJson(url);
        if (body.code !== 0) this.errors[field] = body.message;
        else this.errors[field] = body.count > 0 ? takenMessage : "";
      } catch {
        return true;
      }
      return !this.errors[field];
    },
    async checkUsername() {
      if (!this.check("username")) return false;
      const url = fillUrl(page.urlUsernameCount, { username: this.values.username });
      return this.checkTaken("username", url, page.takenUsername);
    },
    async checkMobile() {
      if (!this.check("mobile")) return false;
      const url = fillUrl(page.urlMobileCount, { mobile: this.values.mobile });
      return this.checkTaken("mobile", url, page.takenMobile);
    },
    async submit() {
      this.topError = "";
      const local = this.checkAll(); // first: it would clear a "taken" message
      const remote = await Promise.all([this.checkUsername(), this.checkMobile()]);
      if (local && !remote.includes(false)) await this.send();
    },
  },
}).mount(root);
