package org.sessiongrid.bench.scale;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.sessiongrid.bench.farm.NodeJars;
import org.sessiongrid.testsupport.process.ChildProcess;
import org.sessiongrid.bench.run.BenchSettings;

/**
 * Runs {@link ScaleRun} in a child JVM on the copied node jars and reads its figures back. A child, because the
 * in-JVM cluster of up to 128 members (2,800 threads) must not share the load client's JVM, and because the
 * test JVM reads SessionGrid's jars straight from ~/.m2, where a re-install during a long run breaks class loading.
 * This class touches no SessionGrid class itself.
 */
public final class ScaleLauncher {

    private static final String PREFIX = "SCALE|";

    private final BenchSettings settings;
    private final Path work;

    public ScaleLauncher(BenchSettings settings, Path work) {
        this.settings = settings;
        this.work = work;
    }

    public List<ScaleFigures> run() throws Exception {
        Path logs = work.resolve("logs");
        // 128 members had up to 1.2 GiB of heap in use (JGroups keeps send buffers and tables per pair of members,
        // 2 GiB were exhausted when the cluster split); the parallel collector uses both cores for the pauses, which
        // delay heartbeats. Default thread stacks: 2,800 threads reserve address space, not memory.
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx4g", "-XX:+UseParallelGC", "-Djava.net.preferIPv4Stack=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Dorg.slf4j.simpleLogger.log.org.sessiongrid.bench.scale=info",
                "-Dorg.slf4j.simpleLogger.showDateTime=true"));
        cmd.addAll(settings.nodeJvmArgs());
        cmd.addAll(List.of("-cp", NodeJars.of(NodeJars.Container.TOMCAT, work), ScaleRun.class.getName(),
                settings.scaleSizes().stream().map(String::valueOf).collect(Collectors.joining(",")),
                String.valueOf(settings.scaleWrites()), logs.toString()));
        ChildProcess p = ChildProcess.start("scale", cmd, logs.resolve("scale.log"));
        int exit;
        try {
            // Each member count forms its cluster within ScaleRun.SETTLE_MILLIS or fails; its measuring windows and
            // halt take well under a minute (40 s at 128 members on a busy machine).
            exit = p.awaitExit(Duration.ofMillis(settings.scaleSizes().size() * (ScaleRun.SETTLE_MILLIS + 60_000L)));
        } finally {
            p.stop(Duration.ofSeconds(5));
        }
        List<ScaleFigures> out = new ArrayList<>();
        for (String line : p.output().lines().toList()) {
            if (line.startsWith(PREFIX)) {
                out.add(decode(line));
            }
        }
        if (exit != 0 || out.size() != settings.scaleSizes().size()) {
            throw new IllegalStateException("the scale run exited with " + exit + " after " + out.size() + " of "
                    + settings.scaleSizes().size() + " member counts; its log ends with:\n" + p.tail());
        }
        return out;
    }

    static String encode(ScaleFigures f) {
        return PREFIX + f.members() + "|" + f.cluster().encode() + "|" + f.primary().encode() + "|"
                + f.placementMicros() + "|" + f.movedSlotsPerJoin() + "|" + f.minimumSlotsPerJoin() + "|"
                + f.startMillis() + "|" + f.note().replace('|', '/').replace('\n', ' ');
    }

    static ScaleFigures decode(String line) {
        String[] p = line.substring(PREFIX.length()).split("\\|", -1);
        return new ScaleFigures(Integer.parseInt(p[0]), ScaleFigures.PerWrite.decode(p[1]),
                ScaleFigures.PerWrite.decode(p[2]), Double.parseDouble(p[3]), Integer.parseInt(p[4]),
                Integer.parseInt(p[5]), Long.parseLong(p[6]), p[7]);
    }
}
