// The register page: each field checked when the shopper leaves it, the captcha,
// the SMS button with its 60 s countdown, and a JSON post whose errors land beside
// the field they are about.
(function () {
  var USERNAME_RE = /^[a-zA-Z0-9_-]{5,20}$/;
  // 8-64 printable characters; the server also refuses common and all-digit passwords.
  var PASSWORD_RE = /^[^\u0000-\u001f\u007f]{8,64}$/;
  var MOBILE_RE = /^1[3-9]\d{9}$/;
  var COUNTDOWN = 60;
  var root = document.getElementById("register-app");
  var server = root.dataset;

  Vue.createApp({
    delimiters: ["[[", "]]"],
    data: function () {
      var errors = {};
      var topError = "";
      if (server.errmsg) {
        if (server.field) errors[server.field] = server.errmsg; else topError = server.errmsg;
      }
      return {
        username: server.username || "", password: "", password2: "", mobile: server.mobile || "",
        imageCode: "", smsCode: "", allow: false,
        imageCodeId: server.imageCodeId, errors: errors, topError: topError,
        smsBusy: false, smsButtonText: "获取短信验证码", smsHint: "", submitting: false,
      };
    },
    computed: {
      imageCodeUrl: function () { return "/image_codes/" + this.imageCodeId + "/"; },
    },
    methods: {
      setError: function (field, message) { this.errors[field] = message || ""; return !message; },
      checkUsername: function () {
        var self = this;
        if (!self.username) return self.setError("username", "请输入用户名");
        if (!USERNAME_RE.test(self.username))
          return self.setError("username", "请输入5-20个字符的用户名（字母、数字、_或-）");
        if (MOBILE_RE.test(self.username)) return self.setError("username", "用户名不能是手机号");
        self.setError("username", "");
        return meiduo.getJson("/usernames/" + encodeURIComponent(self.username) + "/count/")
          .then(function (body) {
            if (body.code !== 0) return self.setError("username", body.message);
            return self.setError("username", body.count > 0 ? "用户名已存在" : "");
          })
          .catch(function () { return true; });  // the server checks again on submit
      },
      checkPassword: function () {
        if (!this.password) return this.setError("password", "请输入密码");
        if (this.password.length < 8 || this.password.length > 64)
          return this.setError("password", "密码长度应为8-64位");
        if (!PASSWORD_RE.test(this.password))
          return this.setError("password", "密码不能包含换行等控制字符");
        if (this.password2) this.checkPassword2();
        return this.setError("password", "");
      },
      checkPassword2: function () {
        if (!this.password2) return this.setError("password2", "请再次输入密码");
        return this.setError("password2", this.password2 !== this.password ? "两次输入的密码不一致" : "");
      },
      checkMobile: function () {
        var self = this;
        if (!self.mobile) return self.setError("mobile", "请输入手机号");
        if (!MOBILE_RE.test(self.mobile)) return self.setError("mobile", "请输入正确的手机号码");
        self.setError("mobile", "");
        return meiduo.getJson("/mobiles/" + self.mobile + "/count/")
          .then(function (body) {
            if (body.code !== 0) return self.setError("mobile", body.message);
            return self.setError("mobile", body.count > 0 ? "手机号已注册" : "");
          })
          .catch(function () { return true; });
      },
      checkImageCode: function () {
        return this.setError("image_code", this.imageCode ? "" : "请输入图形验证码");
      },
      checkSmsCode: function () {
        if (!this.smsCode) return this.setError("sms_code", "请输入短信验证码");
        return this.setError("sms_code", /^\d{6}$/.test(this.smsCode) ? "" : "短信验证码为6位数字");
      },
      checkAllow: function () {
        return this.setError("allow", this.allow ? "" : "请勾选同意用户协议");
      },
      refreshCaptcha: function () {
        this.imageCodeId = meiduo.newUuid();
        this.imageCode = "";
      },
      sendSmsCode: function () {
        var self = this;
        if (self.smsBusy) return;
        var mobileOk = MOBILE_RE.test(self.mobile);
        if (!mobileOk) { self.checkMobile(); return; }
        if (!self.checkImageCode()) return;
        self.smsBusy = true;
        self.smsHint = "";
        var url = "/sms_codes/" + self.mobile + "/?image_code=" + encodeURIComponent(self.imageCode) +
          "&image_code_id=" + self.imageCodeId;
        meiduo.getJson(url).then(function (body) {
          // The captcha is spent, right or wrong: draw a new one for any next send.
          self.refreshCaptcha();
          if (body.code !== 0) {
            self.smsBusy = false;
            if (/图形验证码/.test(body.message)) self.setError("image_code", body.message);
            else self.setError("mobile", body.message);
            return;
          }
          self.smsHint = "短信验证码已发送，请注意查收";
          self.countdown(COUNTDOWN);
        }).catch(function () {
          self.smsBusy = false;
          self.smsHint = "网络错误，请稍后再试";
        });
      },
      countdown: function (seconds) {
        var self = this;
        var left = seconds;
        var timer = setInterval(function () {
          left -= 1;
          if (left <= 0) {
            clearInterval(timer);
            self.smsButtonText = "获取短信验证码";
            self.smsBusy = false;
          } else {
            self.smsButtonText = left + "秒";
          }
        }, 1000);
        self.smsButtonText = left + "秒";
      },
      submit: function () {
        var self = this;
        self.topError = "";
        var local = [self.checkPassword(), self.checkPassword2(), self.checkSmsCode(), self.checkAllow()];
        Promise.all([self.checkUsername(), self.checkMobile()]).then(function (remote) {
          if (local.concat(remote).indexOf(false) !== -1) return;
          self.submitting = true;
          return fetch("/register/", {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", Accept: "application/json",
                       "X-CSRFToken": meiduo.csrfToken() },
            body: JSON.stringify({
              username: self.username, password: self.password, password2: self.password2,
              mobile: self.mobile, sms_code: self.smsCode, allow: self.allow,
            }),
          }).then(function (response) {
            return response.json().catch(function () { return { code: -1, message: "注册失败，请稍后再试" }; });
          }).then(function (body) {
            if (body.code === 0) { window.location.href = "/"; return; }
            self.submitting = false;
            if (body.field) self.setError(body.field, body.message); else self.topError = body.message;
          });
        }).catch(function () {
          self.submitting = false;
          self.topError = "网络错误，请稍后再试";
        });
      },
    },
  }).mount(root);
})();
