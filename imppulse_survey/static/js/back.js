// The phone's back gesture on a questionnaire page. Each page is the answer to a form sent by POST, which a
// browser cannot show again ("Confirm form resubmission"), so the gesture is turned into the page's own Back
// button: the answers on this page travel along, as they do when Back is pressed. On the first page it goes to
// the introduction. Without JavaScript the pages work as before; this only spares people the browser's error.
(function () {
  "use strict";
  var form = document.querySelector("form[data-questionnaire]");
  if (!form || !window.history || !window.history.pushState) {
    return;
  }
  var back = form.querySelector('button[name="_action"][value="back"]');
  window.history.pushState({ questionnaire: true }, "", window.location.href);
  window.addEventListener("popstate", function () {
    if (back) {
      back.click();
    } else {
      window.location.replace(form.getAttribute("action"));
    }
  });
})();
