package org.sessiongrid.bench.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** The JIT's share of a node's CPU is read from its compiler threads' kernel counters. */
class JitCpuTest {

    @Test
    void compilerThreadsAreTheC1AndC2Threads() {
        assertTrue(JitCpu.isCompilerThread("C1 CompilerThre"));
        assertTrue(JitCpu.isCompilerThread("C2 CompilerThre"));
        assertFalse(JitCpu.isCompilerThread("qtp123-45"));
        assertFalse(JitCpu.isCompilerThread("VM Thread"));
    }

    @Test
    void thisJvmsCompilerThreadsHaveCompiled() {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux only");
        long pid = ProcessHandle.current().pid();
        long jit = JitCpu.nanos(pid);
        // JUnit and this test's classes got compiled on the way here: some of it on the compiler threads' CPU.
        assertTrue(jit > 0, "compiler threads' CPU " + jit);
        long process = ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos();
        assertTrue(jit < process + 10_000_000L, jit + " ns of JIT above the process's " + process);
        assertEquals(-1, JitCpu.nanos(Long.MAX_VALUE));
    }
}
