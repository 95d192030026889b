package org.sessiongrid.bench.measure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Whether C2 has compiled a SessionGrid node's sticky write path yet: the methods of {@link #HOT} that a JVM's code
 * cache holds at tier 4 ({@code jcmd <pid> Compiler.codelist}). On a farm of many JVMs sharing few cores each node serves
 * fewer writes per second, and C2 queues a request path method only after tens of thousands of its invocations
 * on that node (thresholds scaled by the compile queue's length), so a window can measure code still at tier 3,
 * C1's profiling code.
 *
 * @param compiled the methods of the list at tier 4 now
 * @param of how many the list has; 0 if the code cache could not be read
 */
public record HotPathTiers(int compiled, int of) {

    /** The sticky write's largest methods of ours (PROFILE.md, "What the JIT does after a minute of load"). */
    public static final List<String> HOT = List.of("org.sessiongrid.tomcat.Commits.commit(",
            "org.sessiongrid.tomcat.GridSession.takeChanges(", "org.sessiongrid.replication.PrimaryRole.commit(",
            "org.sessiongrid.replication.PrimaryRole.commitLocked(", "org.sessiongrid.grid.PrimaryClient.call(");


    /** Not read. */
    public static final HotPathTiers NONE = new HotPathTiers(0, 0);

    /** Whether every method of the list was at C2 (false if not read). */
    public boolean all() {
        return of > 0 && compiled == of;
    }

    /** The tiers of process {@code pid}'s methods of {@code hot} now, or {@link #NONE} (also for an empty list). */
    public static HotPathTiers of(long pid, List<String> hot) throws InterruptedException {
        if (hot.isEmpty()) {
            return NONE;
        }
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Compiler.codelist")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return NONE;
            }
            return of(out, hot);
        } catch (IOException e) {
            return NONE;
        }
    }

    /**
     * The tiers in a {@code Compiler.codelist} listing: lines {@code <id> <tier> <state> <method>(<signature>)...},
     * state 0 for code in use.
     */
    static HotPathTiers of(String codelist, List<String> hot) {
        int compiled = 0;
        for (String method : hot) {
            boolean c2 = codelist.lines().map(l -> l.split(" ", 4)).anyMatch(f -> f.length == 4
                    && "4".equals(f[1]) && "0".equals(f[2]) && f[3].startsWith(method));
            compiled += c2 ? 1 : 0;
        }
        return new HotPathTiers(compiled, hot.size());
    }
}
