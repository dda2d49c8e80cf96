// The register page: each field checked by Django's rules when the shopper leaves it,
// the captcha, the SMS button with its countdown, and a JSON post whose refusals land
// beside the field they name. Rules, URLs and texts all come from the page.
import { createApp } from "vue";
import { BadResponse, fillUrl, getJson, newUuid, pageData, postJson, ruleChecker } from "meiduo";

const COUNTDOWN = 60; // seconds before another SMS may be asked for
const root = document.getElementById("register-app");
const page = root.dataset; // URLs, texts and the server's refusal (templates/users/register.html)
const rules = pageData("page-rules");
const errorOf = ruleChecker(rules);

// Each error slot (named as the form's fields) and the data it checks.
const FIELDS = {
  username: "username",
  password: "password",
  password2: "password2",
  mobile: "mobile",
  image_code: "imageCode",
  sms_code: "smsCode",
  allow: "allow",
};

// The error slot beside which a refusal naming `field` is shown; null: above the form.
function slotFor(field) {
  if (field === "image_code_id") return "image_code"; // the captcha's id: ask for a new one
  return typeof field === "string" && Object.hasOwn(FIELDS, field) ? field : null;
}

// Once a field shows an error, it is cleared as soon as the shopper has typed a value
// that passes (locally, no request): cleared on blur instead, the message's line would
// vanish on the mousedown of the next click and move the button from under the pointer.
// Only cleared: a new message waits for the blur, and the server's stays until then.
const clearWhenFixed = Object.fromEntries(
  Object.entries(FIELDS).map(([slot, model]) => [
    model,
    function () {
      const slots = slot === "password" ? ["password", "password2"] : [slot];
      for (const name of slots) {
        if (this.errors[name] && !this.localError(name)) this.setError(name, "");
      }
    },
  ]),
);

createApp({
  delimiters: ["[[", "]]"],
  data() {
    const errors = Object.fromEntries(Object.keys(FIELDS).map((slot) => [slot, ""]));
    let topError = "";
    if (page.errmsg) {
      const slot = slotFor(page.field);
      if (slot) errors[slot] = page.errmsg;
      else topError = page.errmsg;
    }
    return {
      username: page.username || "",
      password: "",
      password2: "",
      mobile: page.mobile || "",
      imageCode: "",
      smsCode: "",
      allow: false,
      imageCodeId: page.imageCodeId,
      errors,
      topError,
      smsBusy: false,
      smsLeft: 0, // seconds left on the countdown; 0 shows the button's own text
      smsHint: "",
      submitting: false,
    };
  },
  watch: clearWhenFixed,
  computed: {
    imageCodeUrl() {
      return fillUrl(page.urlImageCode, { uuid: this.imageCodeId });
    },
  },
  methods: {
    setError(field, message) {
      this.errors[field] = message || "";
      return !message;
    },
    // Answers a count endpoint's JSON: taken or not, or its refusal. A network failure
    // counts as fine: the server checks again on submit.
    async checkTaken(field, url, takenMessage) {
      try {
        const body = await getJson(url);
        if (body.code !== 0) return this.setError(field, body.message);
        return this.setError(field, body.count > 0 ? takenMessage : "");
      } catch {
        return true;
      }
    },
    // What Django's rules say of a field's value, without asking the server.
    localError(slot) {
      if (slot === "password2" && this.password2 && this.password2 !== this.password) {
        return rules.messages?.password_mismatch || "";
      }
      return errorOf(slot, this[FIELDS[slot]]);
    },
    checkLocal(slot) {
      return this.setError(slot, this.localError(slot));
    },
    async checkUsername() {
      if (!this.checkLocal("username")) return false;
      const url = fillUrl(page.urlUsernameCount, { username: this.username });
      return this.checkTaken("username", url, page.takenUsername);
    },
    checkPassword() {
      if (this.password2) this.checkLocal("password2");
      return this.checkLocal("password");
    },
    checkPassword2() {
      return this.checkLocal("password2");
    },
    async checkMobile() {
      if (!this.checkLocal("mobile")) return false;
      const url = fillUrl(page.urlMobileCount, { mobile: this.mobile });
      return this.checkTaken("mobile", url, page.takenMobile);
    },
    checkImageCode() {
      return this.checkLocal("image_code");
    },
    checkSmsCode() {
      return this.checkLocal("sms_code");
    },
    checkAllow() {
      return this.checkLocal("allow");
    },
    refreshCaptcha() {
      this.imageCodeId = newUuid();
      this.imageCode = "";
    },
    async sendSmsCode() {
      if (this.smsBusy) return;
      if (this.localError("mobile")) {
        this.checkMobile();
        return;
      }
      if (!this.checkImageCode()) return;
      this.smsBusy = true;
      this.smsHint = "";
      const query = new URLSearchParams({ image_code: this.imageCode, image_code_id: this.imageCodeId });
      const url = fillUrl(page.urlSmsCode, { mobile: this.mobile }) + "?" + query;
      let body;
      try {
        body = await getJson(url);
      } catch {
        this.smsBusy = false;
        this.smsHint = page.msgNetwork;
        return;
      } finally {
        // The captcha is spent, right or wrong: draw a new one for any next send.
        this.refreshCaptcha();
      }
      if (body.code !== 0) {
        this.smsBusy = false;
        this.setError(slotFor(body.field) || "sms_code", body.message);
        return;
      }
      this.setError("mobile", "");
      this.setError("image_code", "");
      this.smsHint = page.msgSmsSent;
      this.countdown(COUNTDOWN);
    },
    countdown(seconds) {
      this.smsLeft = seconds;
      const timer = setInterval(() => {
        this.smsLeft -= 1;
        if (this.smsLeft <= 0) {
          clearInterval(timer);
          this.smsLeft = 0;
          this.smsBusy = false;
        }
      }, 1000);
    },
    async submit() {
      this.topError = "";
      const local = [this.checkPassword(), this.checkPassword2(), this.checkSmsCode(), this.checkAllow()];
      const remote = await Promise.all([this.checkUsername(), this.checkMobile()]);
      if (local.concat(remote).includes(false)) return;
      this.submitting = true;
      let body;
      try {
        body = await postJson(page.urlRegister, {
          username: this.username,
          password: this.password,
          password2: this.password2,
          mobile: this.mobile,
          sms_code: this.smsCode,
          allow: this.allow,
        });
      } catch (error) {
        this.submitting = false;
        this.topError = error instanceof BadResponse ? page.msgFailed : page.msgNetwork;
        return;
      }
      if (body.code === 0) {
        window.location.href = page.urlDone;
        return;
      }
      this.submitting = false;
      const slot = slotFor(body.field);
      if (slot) this.setError(slot, body.message);
      else this.topError = body.message;
    },
  },
}).mount(root);
