// The baseline for `npm run bench:ingest`: a Functions Framework HTTP function that does nothing
// but answer like the ingest does, so the ratio isolates the ingest's own CPU cost.
const { http } = require('@google-cloud/functions-framework');

http('noop', (req, res) => {
  res.status(202).json({ id: 'noop' });
});
