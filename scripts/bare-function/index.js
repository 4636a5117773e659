// The Functions Framework with nothing of ours in front of it: what a compressed body costs a
// function that leaves body parsing to the framework (npm run bench:bombs compares it).
const { http } = require('@google-cloud/functions-framework');

http('bare', (req, res) => {
  res.json({ bytes: req.rawBody === undefined ? 0 : req.rawBody.length });
});
