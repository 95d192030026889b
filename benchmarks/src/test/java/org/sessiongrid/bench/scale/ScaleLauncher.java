package org.sessiongrid.bench.scale;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.sessiongrid.bench.farm.NodeJars;
import org.sessiongrid.bench.farm.NodeProcess;
import org.sessiongrid.bench.run.BenchSettings;

/**
 * Runs {@link ScaleRun} in a child JVM on the copied node jars and reads its figures back. A child, because the
 * in-JVM cluster of up to 64 members (thousands of threads) must not share the load client's JVM, and because the
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
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "-XX:+UseSerialGC", "-Djava.net.preferIPv4Stack=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", NodeJars.of(NodeJars.Container.TOMCAT, work), ScaleRun.class.getName(),
                settings.scaleSizes().stream().map(String::valueOf).collect(Collectors.joining(",")),
                String.valueOf(settings.scaleWrites()));
        NodeProcess p = NodeProcess.start("scale", cmd, work.resolve("logs").resolve("scale.log"));
        // Each member count forms its cluster within 3 minutes or fails; the measurement itself takes seconds.
        int exit = p.awaitExit(settings.scaleSizes().size() * 240_000L);
        List<ScaleFigures> out = new ArrayList<>();
        for (String line : Files.readAllLines(p.log())) {
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
        return PREFIX + f.members() + "|" + f.messagesPerWrite() + "|" + f.bytesPerWrite() + "|" + f.placementMicros()
                + "|" + f.movedSlotsPerJoin() + "|" + f.minimumSlotsPerJoin() + "|" + f.startMillis() + "|"
                + f.note().replace('|', '/').replace('\n', ' ');
    }

    static ScaleFigures decode(String line) {
        String[] p = line.substring(PREFIX.length()).split("\\|", -1);
        return new ScaleFigures(Integer.parseInt(p[0]), Double.parseDouble(p[1]), Double.parseDouble(p[2]),
                Double.parseDouble(p[3]), Integer.parseInt(p[4]), Integer.parseInt(p[5]), Long.parseLong(p[6]), p[7]);
    }
}
