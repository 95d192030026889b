package org.sessiongrid.bench.contender;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.sessiongrid.testsupport.process.ChildProcess;

/**
 * A local redis-server from Debian's package for the Redisson contender: bound to one loopback address, no
 * persistence (as an in-memory session store is compared), started and stopped by the benchmark.
 */
public final class RedisServer implements AutoCloseable {

    static final int PORT = 6379;

    private final ChildProcess process;
    private final String address;
    private final Path config;

    private RedisServer(ChildProcess process, String address, Path config) {
        this.process = process;
        this.address = address;
        this.config = config;
    }

    /** The redis-server binary, or null when it is not installed. */
    public static Path binary() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "redis-server");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        Path p = Path.of("/usr/bin/redis-server");
        return Files.isExecutable(p) ? p : null;
    }

    /** Starts it and waits until it accepts connections; writes the Redisson YAML next to its log. */
    public static RedisServer start(String address, Path work) throws IOException, InterruptedException {
        Path bin = binary();
        if (bin == null) {
            throw new IllegalStateException("redis-server is not installed");
        }
        Path dir = work.resolve("redis");
        Files.createDirectories(dir);
        ChildProcess p = ChildProcess.start("redis-server", List.of(bin.toString(), "--bind", address, "--port",
                String.valueOf(PORT), "--save", "", "--appendonly", "no", "--protected-mode", "no", "--dir",
                dir.toAbsolutePath().toString(), "--loglevel", "notice"), dir.resolve("redis.log"));
        p.await("'Ready to accept connections'", Duration.ofSeconds(20), l -> l.contains("Ready to accept connections"));
        Path yaml = dir.resolve("redisson.yaml");
        Files.writeString(yaml, "singleServerConfig:\n  address: \"redis://" + address + ":" + PORT + "\"\n");
        return new RedisServer(p, address, yaml);
    }

    public Path redissonConfig() {
        return config;
    }

    public String address() {
        return address;
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public void close() throws InterruptedException {
        process.stop(Duration.ofSeconds(5));
    }
}
