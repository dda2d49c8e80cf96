// The user center: one Vue app per section (change the password, change the mobile,
// bind an e-mail, delete the account), each a JSON form whose refusals land beside
// their field. The account's facts at the top are plain HTML, updated after a change.
import { createApp } from "vue";
import { pageData } from "meiduo";
import { jsonForm } from "meiduo/forms";

const rules = pageData("page-rules");

// The mobile as the page shows it: 138****5678 (core/masking.py masks it the same way).
function masked(mobile) {
  return mobile.slice(0, 3) + "****" + mobile.slice(-4);
}

function showEmail(email, active) {
  const address = document.getElementById("info-email");
  const status = document.getElementById("info-email-status");
  address.textContent = email;
  address.classList.remove("muted");
  status.textContent = active ? rules.texts.emailActive : rules.texts.emailInactive;
  status.className = "badge " + (active ? "ok" : "no");
  status.hidden = false;
}

// A section's app: its form, and any methods of its own.
function mount(id, options, methods = {}) {
  const root = document.getElementById(id);
  const form = jsonForm({ rules, url: root.dataset.url, ...options(root.dataset) });
  createApp({ ...form, methods: { ...form.methods, ...methods } }).mount(root);
}

mount("password-app", () => ({
  fields: ["old_password", "new_password", "new_password2"],
  same: { new_password2: "new_password" },
  done(body) {
    // This session stays; every other one of the account has ended.
    this.notice = body.message;
    this.values.old_password = this.values.new_password = this.values.new_password2 = "";
  },
}));

mount("mobile-app", (page) => ({
  fields: ["mobile", "sms_code", "password"],
  sms: {
    urlSmsCode: page.urlSmsCode,
    urlImageCode: page.urlImageCode,
    imageCodeId: page.imageCodeId,
    purpose: "change_mobile",
  },
  done(body) {
    this.notice = body.message;
    document.getElementById("info-mobile").textContent = masked(body.mobile || this.values.mobile);
    this.values.mobile = this.values.sms_code = this.values.password = "";
  },
}));

mount("email-app", () => ({
  fields: ["email"],
  method: "PUT",
  done(body) {
    this.notice = body.message;
    // The same address again, already verified, stays verified.
    showEmail(body.email || this.values.email, body.email_active === true);
  },
}));

// Two steps: the password, then the dialog; only "确认注销" sends anything. Once the
// account is gone the server has logged the shopper out: back to the home page.
mount(
  "delete-app",
  (page) => ({
    fields: ["password"],
    state: { username: page.username },
    done() {
      window.location.href = page.urlDone;
    },
  }),
  {
    confirm() {
      this.topError = "";
      if (this.check("password")) this.$refs.dialog.showModal();
    },
    cancel() {
      this.$refs.dialog.close();
    },
    async confirmed() {
      await this.submit();
      // Refused (a wrong password, the network): the message is beside the form.
      if (this.$refs.dialog.open && !this.submitting) this.$refs.dialog.close();
    },
  },
);
