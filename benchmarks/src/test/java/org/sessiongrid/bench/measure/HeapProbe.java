package org.sessiongrid.bench.measure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Live heap of a child JVM after a full GC: {@code jcmd <pid> GC.class_histogram} (which collects first), per
 * class and in total. Works for every contender without code in the node.
 */
public final class HeapProbe {

    private HeapProbe() {
    }

    /** Live bytes on the heap of {@code pid}. */
    public static long liveBytes(long pid) throws IOException, InterruptedException {
        return histogram(pid).totalBytes();
    }

    /** The live heap of {@code pid} per class, after a full GC. */
    public static HeapHistogram histogram(long pid) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(pid), "GC.class_histogram")
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("jcmd " + pid + " did not finish within 60 s");
        }
        return HeapHistogram.parse(new String(out, StandardCharsets.UTF_8));
    }

    /** redis-server's used_memory (bytes), via redis-cli. */
    public static long redisUsedMemory(String address, int port) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("redis-cli", "-h", address, "-p", String.valueOf(port), "info", "memory")
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("redis-cli did not finish within 20 s");
        }
        for (String line : new String(out, StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("used_memory:")) {
                return Long.parseLong(line.substring("used_memory:".length()).trim());
            }
        }
        throw new IllegalStateException("no used_memory from redis-cli: " + new String(out, StandardCharsets.UTF_8));
    }
}
