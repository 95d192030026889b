package org.sessiongrid.bench.run;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.sessiongrid.bench.farm.LoopbackFarm;
import org.sessiongrid.bench.measure.ClientCeiling;
import org.sessiongrid.bench.measure.LoadFigures;
import org.sessiongrid.it.load.HttpExchange;
import org.sessiongrid.it.load.LoadClient;
import org.sessiongrid.it.load.SocketExchange;

/**
 * The minimal keep-alive client the load client is compared with: one thread per user, each sticky to one
 * node, sending {@code /inc} with its session cookie as fast as answers come, counting answers in the
 * measured window and nothing else. It shares {@link SocketExchange} with the load client, so the difference
 * between the two is the load client's own bookkeeping (history, checker input, balancing).
 */
final class BareLoad {

    private BareLoad() {
    }

    /**
     * Runs the bare loop on {@code farm} for {@code warmupMillis} + {@code measureMillis} and sets its figures
     * beside {@code load}, the load client's figures on the same farm and scenario.
     */
    static ClientCeiling measure(LoopbackFarm farm, int users, int payloadBytes, long warmupMillis, long measureMillis,
                                 LoadFigures load) throws InterruptedException {
        List<LoadClient.Target> targets = farm.targets();
        AtomicLong counted = new AtomicLong();
        long start = System.nanoTime();
        long from = start + TimeUnit.MILLISECONDS.toNanos(warmupMillis);
        long to = from + TimeUnit.MILLISECONDS.toNanos(measureMillis);
        String path = payloadBytes > 0 ? "/inc?pad=" + payloadBytes : "/inc";
        List<Thread> threads = new ArrayList<>();
        try (SocketExchange http = new SocketExchange()) {
            for (int u = 0; u < users; u++) {
                LoadClient.Target t = targets.get(u % targets.size());
                Thread th = new Thread(() -> {
                    String cookie = null;
                    while (System.nanoTime() - to < 0) {
                        try {
                            HttpExchange.Answer a = http.get(t.baseUrl(), path, cookie, Duration.ofSeconds(10));
                            long now = System.nanoTime();
                            if (a.status() == 200 && now - from >= 0 && now - to < 0) {
                                counted.incrementAndGet();
                            }
                            for (String c : a.setCookies()) {
                                if (c.startsWith("JSESSIONID=")) {
                                    int semi = c.indexOf(';');
                                    cookie = c.substring("JSESSIONID=".length(), semi > 0 ? semi : c.length());
                                }
                            }
                        } catch (IOException e) {
                            cookie = null;
                        }
                    }
                }, "bare-load-" + u);
                th.setDaemon(true);
                threads.add(th);
            }
            threads.forEach(Thread::start);
            long sleep = TimeUnit.NANOSECONDS.toMillis(from - System.nanoTime());
            Thread.sleep(Math.max(0, sleep));
            long cpu0 = LoopbackFarm.cpuNanos(ProcessHandle.current().pid());
            Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(to - System.nanoTime())));
            long cpu1 = LoopbackFarm.cpuNanos(ProcessHandle.current().pid());
            for (Thread th : threads) {
                th.join(15_000);
            }
            long n = counted.get();
            double seconds = measureMillis / 1000.0;
            return new ClientCeiling(n / seconds, cpu0 < 0 || cpu1 < 0 || n == 0 ? -1 : (cpu1 - cpu0) / 1000.0 / n,
                    load.throughput(), load.clientCpuMicrosPerRequest());
        }
    }
}
