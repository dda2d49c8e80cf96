// Register page: refresh the captcha, send the SMS code, count down 60 s.
(function () {
  var img = document.getElementById("image-code-img");
  var button = document.getElementById("send-sms");
  var hint = document.getElementById("sms-hint");

  function newUuid() {
    return crypto.randomUUID ? crypto.randomUUID() :
      "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
        return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
      });
  }
  function refreshCaptcha() {
    img.dataset.uuid = newUuid();
    img.src = "/image_codes/" + img.dataset.uuid + "/";
  }
  img.addEventListener("click", refreshCaptcha);

  button.addEventListener("click", function () {
    var mobile = document.getElementById("mobile").value.trim();
    var imageCode = document.getElementById("image_code").value.trim();
    var url = "/sms_codes/" + encodeURIComponent(mobile) + "/?image_code=" +
      encodeURIComponent(imageCode) + "&image_code_id=" + img.dataset.uuid;
    button.disabled = true;
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        hint.textContent = body.message;
        if (body.code !== 0) {
          button.disabled = false;
          refreshCaptcha();  // the captcha is single use, right or wrong
          return;
        }
        var left = 60;
        var timer = setInterval(function () {
          left -= 1;
          if (left <= 0) {
            clearInterval(timer);
            button.textContent = "获取短信验证码";
            button.disabled = false;
            refreshCaptcha();
          } else {
            button.textContent = left + "秒";
          }
        }, 1000);
      })
      .catch(function () { hint.textContent = "网络错误，请稍后再试"; button.disabled = false; });
  });
})();
