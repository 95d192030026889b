package org.sessiongrid.it.rig;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sessiongrid.testsupport.process.ChildProcess;
import org.sessiongrid.testsupport.process.JavaCommand;

/**
 * A test node outlives no test JVM: when the process that started it is killed (no shutdown hook of its runs,
 * as when a build is interrupted or a fork is destroyed), the node stops by itself instead of holding its ports
 * and the machine's cores until someone finds it.
 */
class NodeOrphanTest {

    @TempDir
    Path dir;

    @Test
    void aNodeStopsWhenTheProcessThatStartedItIsKilled() throws Exception {
        ChildProcess starter = ChildProcess.start("starter", JavaCommand.of(OrphanStarter.class)
                .classpath(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))).args(dir.resolve("probe.log").toString()).toList(),
                dir.resolve("starter.log"));
        Optional<ProcessHandle> node = Optional.empty();
        try {
            starter.awaitLine("NODE ", Duration.ofSeconds(90));
            long pid = Long.parseLong(starter.output().lines().filter(l -> l.startsWith("NODE ")).findFirst()
                    .orElseThrow().substring(5).trim());
            node = ProcessHandle.of(pid);
            assertTrue(node.isPresent() && node.get().isAlive(), "the node runs while its starter does");
            starter.kill();
            try {
                node.get().onExit().get(45, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("the node (pid " + pid + ") still runs 45 s after its starter was killed");
            }
        } finally {
            starter.kill();
            node.ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
