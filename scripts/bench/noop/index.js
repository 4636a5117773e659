// The baseline for `npm run bench:ingest`: a Functions Framework HTTP function that does nothing
// but answer like the ingest does, so the ratio isolates the ingest's own CPU cost. With an
// `X-Bench-Delay-Ms` header it answers that long after the request arrived, the way a handler
// waiting on a database does: the bench sets it to the ingest's mean latency, so this baseline
// holds as many requests open, for as long, at the same rate.
const { http } = require('@google-cloud/functions-framework');
const { setTimeout } = require('node:timers');

http('noop', (req, res) => {
  const delayMs = Number(req.headers['x-bench-delay-ms'] ?? 0);
  if (delayMs > 0) setTimeout(() => res.status(202).json({ id: 'noop' }), delayMs);
  else res.status(202).json({ id: 'noop' });
});
