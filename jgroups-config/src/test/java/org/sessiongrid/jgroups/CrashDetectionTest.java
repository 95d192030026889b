package org.sessiongrid.jgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.util.Util;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The core's failover tests crash members with {@link Util#shutdown(JChannel)}, which cuts the
 * member off without a LEAVE. The test-loopback stack must notice that within seconds.
 */
class CrashDetectionTest {

    private static final Logger LOG = LoggerFactory.getLogger(CrashDetectionTest.class);

    /** FD_ALL3 3 s + one 0.5 s interval + VERIFY_SUSPECT2 0.5 s + view installation, with margin. */
    private static final long DETECTION_DEADLINE_MILLIS = 10_000;

    @Test
    void survivorsInstallTwoMemberViewAfterCoordinatorCrash() throws Exception {
        String cluster = TestClusters.uniqueClusterName(StackLoader.STACK_TEST_LOOPBACK);
        List<JChannel> channels = new ArrayList<>();
        try {
            for (String name : List.of("A", "B", "C")) {
                JChannel channel = StackLoader.newChannel(StackLoader.STACK_TEST_LOOPBACK, null).name(name);
                channels.add(channel);
                channel.connect(cluster);
            }
            Util.waitUntilAllChannelsHaveSameView(TestClusters.VIEW_TIMEOUT_MILLIS, TestClusters.POLL_MILLIS, channels);

            // The coordinator is the harder case: a survivor must take over before it can exclude it.
            JChannel crashed = channels.get(0);
            Address crashedAddress = crashed.getAddress();
            assertEquals(crashedAddress, crashed.getView().getCoord());
            Util.shutdown(crashed);

            List<JChannel> survivors = channels.subList(1, channels.size());
            long start = System.nanoTime();
            Util.waitUntilAllChannelsHaveSameView(DETECTION_DEADLINE_MILLIS, TestClusters.POLL_MILLIS, survivors);
            long detectedMillis = (System.nanoTime() - start) / 1_000_000;

            assertFalse(survivors.get(0).getView().containsMember(crashedAddress));
            LOG.info("Crash of the coordinator detected and excluded after {} ms", detectedMillis);
        } finally {
            TestClusters.closeNewestFirst(channels);
        }
    }
}
