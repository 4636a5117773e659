#!/usr/bin/env bash
# Regenerates the stack-trace fixtures in test/fixtures/{python,node,java} by actually running the
# small crashing programs under test/fixtures/*/programs with the local python3, node and java.
# The programs run from a fixed directory (/tmp/dumpcatcher-fixtures) so that file paths in the
# traces are the same on every machine; line numbers of runtime internals (node:internal/…, JDK
# frames) depend on the runtime version, so regenerate with python 3.11, node 20 and java 17.
# Browser fixtures (test/fixtures/browser) cannot be produced here; see their README.
# Usage: bash scripts/make-fixtures.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIX="$ROOT/test/fixtures"
WORK=/tmp/dumpcatcher-fixtures

rm -rf "$WORK"
mkdir -p "$WORK"

# Runs a program that is expected to crash and keeps what it wrote to stderr (the uncaught
# exception or printStackTrace output) in $1.
capture() {
  local out="$1"
  shift
  "$@" 2>"$out.tmp" >/dev/null || true
  mv "$out.tmp" "$out"
}

# Same for the node programs, which print the SDK-formatted stack (see format-stack.js) to stdout.
capture_stdout() {
  local out="$1"
  shift
  "$@" >"$out.tmp" 2>/dev/null || true
  mv "$out.tmp" "$out"
}

# --- Python -------------------------------------------------------------------------------
PY="$WORK/python"
SITE="$PY/venv/lib/python3.11/site-packages"
mkdir -p "$PY/srv/shop" "$SITE" "$PY/srv/app-1.2.0" "$PY/srv/app-1.3.0"
cp "$FIX"/python/programs/*.py "$PY/srv/shop/"
cp -r "$FIX/python/programs/vendor/fakelib" "$SITE/"
cp "$FIX/python/programs/checkout-1.2/checkout.py" "$PY/srv/app-1.2.0/"
cp "$FIX/python/programs/checkout-1.3/checkout.py" "$PY/srv/app-1.3.0/"
export PYTHONDONTWRITEBYTECODE=1
for name in simple chained_context chained_cause chained_both exception_group exception_group_nested; do
  (cd "$PY/srv/shop" && capture "$FIX/python/$name.txt" python3 "$PY/srv/shop/$name.py")
done
(cd "$PY/srv/shop" && capture "$FIX/python/vendored.txt" env PYTHONPATH="$SITE" python3 "$PY/srv/shop/vendored_app.py")
for v in 1.2.0 1.3.0; do
  for mode in checkout preview shipping; do
    (cd "$PY/srv/app-$v" && capture "$FIX/python/checkout-$v-$mode.txt" python3 "$PY/srv/app-$v/checkout.py" "$mode")
  done
done

# --- Java ---------------------------------------------------------------------------------
JV="$WORK/java"
mkdir -p "$JV/classes" "$JV/classes-1.2.0" "$JV/classes-1.3.0"
javac -d "$JV/classes" "$FIX"/java/programs/src/com/acme/shop/*.java
javac -d "$JV/classes-1.2.0" "$FIX/java/programs/checkout-1.2/com/acme/shop/Checkout.java"
javac -d "$JV/classes-1.3.0" "$FIX/java/programs/checkout-1.3/com/acme/shop/Checkout.java"
capture "$FIX/java/orders.txt" java -cp "$JV/classes" com.acme.shop.Orders
capture "$FIX/java/resources.txt" java -cp "$JV/classes" com.acme.shop.Resources
capture "$FIX/java/plugins.txt" java -cp "$JV/classes" com.acme.shop.Plugins
capture "$FIX/java/pricing.txt" java -cp "$JV/classes" com.acme.shop.Pricing
capture "$FIX/java/payments.txt" java -cp "$JV/classes" com.acme.shop.Payments
# JDK 9+ hides lambda proxy frames by default; this shows them ($$Lambda$N/0x…), as Java 8 did.
capture "$FIX/java/pricing-hidden-frames.txt" java -XX:+UnlockDiagnosticVMOptions -XX:+ShowHiddenFrames \
  -cp "$JV/classes" com.acme.shop.Pricing
# The hidden class's address differs on every run; pin it so regenerating does not churn the file.
sed -i -E 's#\$\$Lambda\$([0-9]+)/0x[0-9a-f]+#$$Lambda$\1/0x0000000800c01000#' "$FIX/java/pricing-hidden-frames.txt"
for v in 1.2.0 1.3.0; do
  for mode in checkout preview shipping; do
    capture "$FIX/java/checkout-$v-$mode.txt" java -cp "$JV/classes-$v" com.acme.shop.Checkout "$mode"
  done
done

# --- Node ---------------------------------------------------------------------------------
ND="$WORK/node/srv/shop"
mkdir -p "$ND/node_modules"
cp "$FIX"/node/programs/*.js "$FIX"/node/programs/*.mjs "$ND/"
cp -r "$FIX/node/programs/vendor/fake-lib" "$ND/node_modules/"
cp -r "$FIX/node/programs/checkout-1.2.0" "$FIX/node/programs/checkout-1.3.0" "$ND/"
for name in plain async cause aggregate cause-aggregate vendored; do
  (cd "$ND" && capture_stdout "$FIX/node/$name.txt" node "$ND/$name.js")
done
(cd "$ND" && capture_stdout "$FIX/node/esm.txt" node "$ND/esm.mjs")
(cd "$ND" && capture "$FIX/node/uncaught.txt" node "$ND/uncaught.js")
for v in 1.2.0 1.3.0; do
  for mode in checkout preview shipping; do
    # stderr carries v1.3's log line, which is not part of the trace.
    (cd "$ND" && capture_stdout "$FIX/node/checkout-$v-$mode.txt" node "$ND/checkout-$v/checkout.js" "$mode")
  done
done

echo "fixtures written under $FIX"
