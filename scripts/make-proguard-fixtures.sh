#!/usr/bin/env bash
# Regenerates the obfuscated-trace fixtures in test/fixtures/android: compiles the two releases
# of test/fixtures/android/programs/notes-*, shrinks and obfuscates each with ProGuard (fetched
# from Maven Central by mvn; a build-time tool only, never a dependency of the service), runs the
# obfuscated jar so it crashes, and keeps ProGuard's mapping.txt and the obfuscated trace.
# The unshrunk program's own trace is kept too, as what retracing must reproduce.
# Like an Android release build, source files are renamed to "SourceFile" and line numbers kept.
# Usage: bash scripts/make-proguard-fixtures.sh   (needs java 17, javac and mvn)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIX="$ROOT/test/fixtures/android"
WORK=/tmp/dumpcatcher-proguard
PROGUARD_VERSION=7.4.2

rm -rf "$WORK"
mkdir -p "$WORK"
cat >"$WORK/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId><artifactId>proguard-runner</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>com.guardsquare</groupId><artifactId>proguard-base</artifactId><version>$PROGUARD_VERSION</version></dependency>
  </dependencies>
</project>
POM
mvn -q -f "$WORK/pom.xml" dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" >/dev/null
CP="$(cat "$WORK/cp.txt")"
JMODS="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")/jmods"

for v in 1.0 1.1; do
  mkdir -p "$WORK/$v/classes"
  javac --release 17 -d "$WORK/$v/classes" "$FIX"/programs/notes-$v/com/acme/notes/*.java
  (cd "$WORK/$v/classes" && jar cf ../in.jar .)
  cat >"$WORK/$v/rules.pro" <<RULES
-injars $WORK/$v/in.jar
-outjars $WORK/$v/out.jar
-libraryjars $JMODS/java.base.jmod(!**.jar;!module-info.class)
-printmapping $WORK/$v/mapping.txt
-keep public class com.acme.notes.Main { public static void main(java.lang.String[]); }
-keepattributes SourceFile,LineNumberTable
-renamesourcefileattribute SourceFile
RULES
  java -cp "$CP" proguard.ProGuard @"$WORK/$v/rules.pro" >"$WORK/$v/proguard.log"
  cp "$WORK/$v/mapping.txt" "$FIX/proguard-notes-$v-mapping.txt"
  # The same crash before shrinking: what retracing the obfuscated trace must give back.
  java -cp "$WORK/$v/classes" com.acme.notes.Main missing 2>"$FIX/proguard-notes-$v.plain.txt" >/dev/null || true
  java -cp "$WORK/$v/out.jar" com.acme.notes.Main missing 2>"$FIX/proguard-notes-$v.txt" >/dev/null || true
done
