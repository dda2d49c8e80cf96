// The login page posts as a plain form (the server handles `next`); Vue only checks
// that both fields are filled before it goes.
(function () {
  var MESSAGES = { username: "请输入用户名或手机号", password: "请输入密码" };
  Vue.createApp({
    delimiters: ["[[", "]]"],
    data: function () { return { errors: { username: "", password: "" } }; },
    methods: {
      check: function (field) {
        var value = document.getElementById(field).value.trim();
        this.errors[field] = value ? "" : MESSAGES[field];
        return !!value;
      },
      submit: function (event) {
        var ok = [this.check("username"), this.check("password")];
        if (ok.indexOf(false) !== -1) event.preventDefault();
      },
    },
  }).mount("#login-app");
})();
