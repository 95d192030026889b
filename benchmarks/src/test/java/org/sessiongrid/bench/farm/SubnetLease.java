package org.sessiongrid.bench.farm;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A loopback subnet {@code 127.8.<n>} that this run alone uses while the lease is open, so that two runs on one
 * machine never share an address and port. Each of the {@value #SUBNETS} subnets has a lock file in a directory
 * every run on the machine shares (the temporary directory); a run holds the lock of its subnet for as long as its
 * farms may listen there. The operating system drops the lock when the JVM ends, however it ends, so a killed run
 * leaves no subnet taken. The search starts at the pid's subnet, so that runs rarely try the same locks.
 */
public final class SubnetLease implements AutoCloseable {

    /** How many subnets there are: {@code 127.8.20} to {@code 127.8.219}. */
    static final int SUBNETS = 200;
    private static final int FIRST = 20;

    private final String subnet;
    private final FileChannel channel;
    private final FileLock lock;

    private SubnetLease(String subnet, FileChannel channel, FileLock lock) {
        this.subnet = subnet;
        this.channel = channel;
        this.lock = lock;
    }

    /** A free subnet of this machine's, searched from the pid's, locked in the temporary directory. */
    public static SubnetLease take() throws IOException {
        return take(Path.of(System.getProperty("java.io.tmpdir")), ProcessHandle.current().pid());
    }

    /**
     * A free subnet, its lock file in {@code dir}, searched from {@code seed}'s.
     *
     * @throws IOException if every subnet is taken
     */
    static SubnetLease take(Path dir, long seed) throws IOException {
        for (int i = 0; i < SUBNETS; i++) {
            int n = FIRST + (int) ((seed + i) % SUBNETS);
            FileChannel channel = FileChannel.open(dir.resolve("sessiongrid-bench-subnet-" + n + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = null;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException heldByThisJvm) {
                // another lease of this JVM's
            }
            if (lock != null) {
                return new SubnetLease("127.8." + n, channel, lock);
            }
            channel.close();
        }
        throw new IOException("all " + SUBNETS + " benchmark subnets are taken (lock files in " + dir + ")");
    }

    /** The subnet's first three octets, e.g. {@code 127.8.42}. */
    public String subnet() {
        return subnet;
    }

    /** Frees the subnet for another run. */
    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
