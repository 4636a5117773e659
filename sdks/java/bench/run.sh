#!/usr/bin/env bash
# CPU time per captured exception: Dumpcatcher vs sentry-java, same exceptions, same JVM,
# each SDK sending to its own loopback HTTP sink.
# Usage: bash sdks/java/bench/run.sh [captures [both|dumpcatcher [captures between flushes, default 25]]]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# The SDK goes into the local Maven repository so that this module can depend on it.
(cd "$here/.." && mvn -q -B -DskipTests install)
cd "$here"
mvn -q -B compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
exec java -Xms256m -Xmx256m -cp "target/classes:$(cat target/classpath.txt)" dev.dumpcatcher.bench.CaptureBench "$@"
