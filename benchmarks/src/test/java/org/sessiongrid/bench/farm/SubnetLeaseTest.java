package org.sessiongrid.bench.farm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubnetLeaseTest {

    @TempDir
    Path dir;

    @Test
    void twoRunsWithTheSameSeedGetDifferentSubnetsWhileTheFirstHoldsItsLease() throws IOException {
        try (SubnetLease first = SubnetLease.take(dir, 4242); SubnetLease second = SubnetLease.take(dir, 4242)) {
            assertEquals("127.8." + (20 + 4242 % 200), first.subnet());
            assertNotEquals(first.subnet(), second.subnet());
        }
    }

    @Test
    void aClosedLeaseFreesItsSubnet() throws IOException {
        String subnet;
        try (SubnetLease first = SubnetLease.take(dir, 7)) {
            subnet = first.subnet();
        }
        try (SubnetLease again = SubnetLease.take(dir, 7)) {
            assertEquals(subnet, again.subnet());
        }
    }

    @Test
    void whenEverySubnetIsTakenTheNextRunIsToldSoRatherThanSharingOne() throws IOException {
        List<SubnetLease> leases = new ArrayList<>();
        try {
            Set<String> subnets = new HashSet<>();
            for (int i = 0; i < SubnetLease.SUBNETS; i++) {
                leases.add(SubnetLease.take(dir, i));
                subnets.add(leases.get(i).subnet());
            }
            assertEquals(SubnetLease.SUBNETS, subnets.size());
            assertThrows(IOException.class, () -> SubnetLease.take(dir, 0));
        } finally {
            for (SubnetLease l : leases) {
                l.close();
            }
        }
    }
}
