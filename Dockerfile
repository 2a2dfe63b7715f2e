# syntax=docker/dockerfile:1
# The operator image: a jlinked JRE, the shaded jar and an AOT cache on distroless, as uid
# 65532. The build stage runs the same dev/build-runtime a developer runs (see docs/image.md), so
# the image holds exactly target/runtime + target/build-secrets-operator.jar.
#
#   docker build -t build-secrets-operator:dev .

# --- build ---------------------------------------------------------------------------------------
FROM eclipse-temurin:25-jdk AS build
WORKDIR /src
# Dependencies first, so a source-only change reuses this layer (and the cache mount).
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -ntp -q dependency:go-offline
COPY src/main/ src/main/
COPY dev/build-runtime dev/build-runtime
COPY dev/lib/ dev/lib/
# Unit and integration tests run in CI (dev/test), not here: they need a control plane.
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -ntp -q -Dmaven.test.skip=true package \
 && dev/build-runtime \
 && mkdir /app \
 && cp -a target/runtime /app/runtime \
 && cp -p target/build-secrets-operator.jar /app/build-secrets-operator.jar \
 && rm /app/runtime/bin/build-secrets-operator /app/runtime/.complete /app/runtime/app.jsa \
 && rmdir /app/runtime/bin
# (app.jsa, the AppCDS archive, is built only for bench/startup's comparison.)
# cp -a / -p keep the jar's mtime: the AOT cache checks the jar's size and mtime, and COPY
# --from below keeps them too. The layout (/app/build-secrets-operator.jar next to
# /app/runtime/) is the one the archive was dumped with, relative to each other.

# --- runtime -------------------------------------------------------------------------------------
# glibc only: the jlinked JRE bundles zlib; AWT's X11 libraries are never loaded (no GUI code).
FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /app /app
USER 65532:65532
# No shell in distroless, so the launcher's command is spelt out here; extra JVM flags go in
# JAVA_TOOL_OPTIONS (the chart's javaToolOptions). The JVM starts without the AOT cache rather than
# fail if it cannot be used (AOTMode=auto). The cache is only read (mapped private), so a read-only
# root file system is fine; the JVM's hsperfdata wants a writable /tmp (an emptyDir in the chart).
ENTRYPOINT ["/app/runtime/jre/bin/java", "@/app/runtime/jvm.options", \
            "-XX:AOTCache=/app/runtime/app.aot", \
            "-jar", "/app/build-secrets-operator.jar"]
