import XCTest
@testable import Dockerfile

/// Dockerfiles in the style of the official images (written for these tests,
/// after the python and node images' layout), parsed end to end.
enum RealWorldDockerfiles {
    static let python = #"""
    #
    # NOTE: THIS DOCKERFILE IS GENERATED VIA "apply-templates.sh"
    #
    # PLEASE DO NOT EDIT IT DIRECTLY.
    #

    FROM buildpack-deps:bookworm

    # ensure local python is preferred over distribution python
    ENV PATH /usr/local/bin:$PATH

    # cannot remove LANG even though https://bugs.python.org/issue19846 is fixed
    ENV LANG C.UTF-8

    # runtime dependencies
    RUN set -eux; \
    	apt-get update; \
    	apt-get install -y --no-install-recommends \
    		libbluetooth-dev \
    		tk-dev \
    		uuid-dev \
    	; \
    	rm -rf /var/lib/apt/lists/*

    ENV GPG_KEY 7169605F62C751356D054A26A821E680E5FA6305
    ENV PYTHON_VERSION 3.12.4

    RUN set -eux; \
    	\
    	wget -O python.tar.xz "https://www.python.org/ftp/python/${PYTHON_VERSION%%[a-z]*}/Python-$PYTHON_VERSION.tar.xz"; \
    	wget -O python.tar.xz.asc "https://www.python.org/ftp/python/${PYTHON_VERSION%%[a-z]*}/Python-$PYTHON_VERSION.tar.xz.asc"; \
    	GNUPGHOME="$(mktemp -d)"; export GNUPGHOME; \
    	gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys "$GPG_KEY"; \
    	mkdir -p /usr/src/python; \
    	tar --extract --directory /usr/src/python --strip-components=1 --file python.tar.xz; \
    	rm python.tar.xz; \
    	\
    	cd /usr/src/python; \
    	gnuArch="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)"; \
    	./configure \
    		--build="$gnuArch" \
    		--enable-loadable-sqlite-extensions \
    		--enable-optimizations \
    	; \
    	nproc="$(nproc)"; \
    	make -j "$nproc" \
    	; \
    	make install; \
    	\
    	find /usr/local -depth \
    		\( \
    			\( -type d -a \( -name test -o -name tests -o -name idle_test \) \) \
    			-o \( -type f -a \( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \) \) \
    		\) -exec rm -rf '{}' + \
    	; \
    	\
    	ldconfig; \
    	\
    	python3 --version

    # make some useful symlinks that are expected to exist ("/usr/local/bin/python" and friends)
    RUN set -eux; \
    	for src in idle3 pydoc3 python3 python3-config; do \
    		dst="$(echo "$src" | tr -d 3)"; \
    		[ -s "/usr/local/bin/$src" ]; \
    		[ ! -e "/usr/local/bin/$dst" ]; \
    		ln -svT "$src" "/usr/local/bin/$dst"; \
    	done

    CMD ["python3"]
    """#

    static let node = #"""
    FROM debian:bookworm

    RUN groupadd --gid 1000 node \
      && useradd --uid 1000 --gid node --shell /bin/bash --create-home node

    ENV NODE_VERSION 20.15.0

    RUN ARCH= && dpkgArch="$(dpkg --print-architecture)" \
      && case "${dpkgArch##*-}" in \
        amd64) ARCH='x64';; \
        arm64) ARCH='arm64';; \
        *) echo "unsupported architecture"; exit 1 ;; \
      esac \
      # use pre-existing gpg directory, see https://github.com/nodejs/docker-node/pull/1895#issuecomment-1550389150
      && export GNUPGHOME="$(mktemp -d)" \
      && curl -fsSLO --compressed "https://nodejs.org/dist/v$NODE_VERSION/node-v$NODE_VERSION-linux-$ARCH.tar.xz" \
      && tar -xJf "node-v$NODE_VERSION-linux-$ARCH.tar.xz" -C /usr/local --strip-components=1 --no-same-owner \
      && ln -s /usr/local/bin/node /usr/local/bin/nodejs \
      && node --version \
      && npm --version

    ENV YARN_VERSION 1.22.19

    COPY docker-entrypoint.sh /usr/local/bin/
    ENTRYPOINT ["docker-entrypoint.sh"]

    CMD [ "node" ]
    """#

    static let multiStage = #"""
    # syntax=docker/dockerfile:1.7
    ARG GO_VERSION=1.22
    FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-alpine AS build
    WORKDIR /src
    RUN --mount=type=cache,target=/go/pkg/mod \
        --mount=type=bind,source=go.sum,target=go.sum \
        --mount=type=bind,source=go.mod,target=go.mod \
        go mod download -x
    ARG TARGETOS TARGETARCH
    RUN --mount=type=cache,target=/go/pkg/mod \
        --mount=type=bind,target=. \
        CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /bin/server ./cmd/server

    FROM alpine:3.20 AS final
    RUN --mount=type=cache,target=/var/cache/apk \
        apk --update add ca-certificates tzdata && update-ca-certificates
    ARG UID=10001
    RUN adduser --disabled-password --gecos "" --home "/nonexistent" \
        --shell "/sbin/nologin" --no-create-home --uid "${UID}" appuser
    USER appuser
    COPY --from=build /bin/server /bin/
    COPY <<EOF /etc/app.conf
    port=8080
    EOF
    EXPOSE 8080
    HEALTHCHECK --interval=30s --timeout=3s CMD ["/bin/server", "-health"]
    ENTRYPOINT [ "/bin/server" ]
    """#
}

final class RealWorldDockerfilesTests: XCTestCase {
    func testPythonImage() throws {
        let d = try Dockerfile.parse(RealWorldDockerfiles.python)
        XCTAssertEqual(d.stages.count, 1)
        XCTAssertEqual(d.stages[0].baseName, "buildpack-deps:bookworm")
        let keywords = d.stages[0].instructions.map(\.node.keyword)
        XCTAssertEqual(keywords, ["ENV", "ENV", "RUN", "ENV", "ENV", "RUN", "RUN", "CMD"])
        guard case .run(let build) = d.stages[0].instructions[5] else { return XCTFail() }
        XCTAssertTrue(build.command.arguments[0].hasPrefix("set -eux; \t\twget -O python.tar.xz"))
        XCTAssertTrue(build.command.arguments[0].hasSuffix("python3 --version"))
        guard case .env(let path) = d.stages[0].instructions[0] else { return XCTFail() }
        XCTAssertEqual(path.pairs, [KeyValuePair(key: "PATH", value: "/usr/local/bin:$PATH")])
        let expanded = try d.stages[0].instructions[0].expanded(env: ["PATH": "/usr/bin"])
        guard case .env(let p2) = expanded else { return XCTFail() }
        XCTAssertEqual(p2.pairs[0].value, "/usr/local/bin:/usr/bin")
        XCTAssertEqual(DockerfileLinter.warnings(for: d).map(\.rule).filter { $0 != "LegacyKeyValueFormat" }, [])
    }

    func testNodeImage() throws {
        let d = try Dockerfile.parse(RealWorldDockerfiles.node)
        let instructions = d.stages[0].instructions
        XCTAssertEqual(instructions.map(\.node.keyword), ["RUN", "ENV", "RUN", "ENV", "COPY", "ENTRYPOINT", "CMD"])
        guard case .run(let run) = instructions[2] else { return XCTFail() }
        XCTAssertFalse(run.command.arguments[0].contains("use pre-existing gpg"), "comment lines inside a continuation are dropped")
        XCTAssertTrue(run.command.arguments[0].contains("&& export GNUPGHOME"))
        guard case .cmd(let cmd) = instructions[6] else { return XCTFail() }
        XCTAssertEqual(cmd.command.arguments, ["node"])
    }

    func testMultiStageBuild() throws {
        let d = try Dockerfile.parse(RealWorldDockerfiles.multiStage)
        XCTAssertEqual(d.syntax.directives["syntax"], "docker/dockerfile:1.7")
        XCTAssertEqual(d.metaArgs.first?.definitions.first, ArgDefinition(name: "GO_VERSION", defaultValue: "1.22"))
        XCTAssertEqual(d.stages.map(\.name), ["build", "final"])
        guard case .run(let download) = d.stages[0].instructions[1] else { return XCTFail() }
        XCTAssertEqual(download.mounts.map(\.type), [.cache, .bind, .bind])
        XCTAssertEqual(download.command.arguments, ["go mod download -x"])
        guard case .arg(let targets) = d.stages[0].instructions[2] else { return XCTFail() }
        XCTAssertEqual(targets.definitions.map(\.name), ["TARGETOS", "TARGETARCH"])
        let final = d.stages[1].instructions
        guard case .copy(let conf) = final[5] else { return XCTFail() }
        XCTAssertEqual(conf.heredocs.first?.content, "port=8080\n")
        XCTAssertEqual(conf.sources, ["<<EOF"])
        XCTAssertEqual(conf.destination, "/etc/app.conf")
    }
}
