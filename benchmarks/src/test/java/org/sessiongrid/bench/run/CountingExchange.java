package org.sessiongrid.bench.run;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

import org.sessiongrid.it.load.HttpExchange;

/**
 * The load client's exchange, counting the answers with status 200 as they come (the node status checks of its
 * balancer aside): the rate a warm-up watches, read every second without copying the history.
 */
final class CountingExchange implements HttpExchange {

    private final HttpExchange delegate;
    private final LongAdder answered = new LongAdder();

    CountingExchange(HttpExchange delegate) {
        this.delegate = delegate;
    }

    /** Successful answers so far. */
    long answered() {
        return answered.sum();
    }

    @Override
    public Answer get(String baseUrl, String pathAndQuery, String cookieName, String cookie, String others,
                      Duration timeout) throws IOException, InterruptedException {
        Answer a = delegate.get(baseUrl, pathAndQuery, cookieName, cookie, others, timeout);
        if (a.status() == 200 && !pathAndQuery.startsWith("/status")) {
            answered.increment();
        }
        return a;
    }

    @Override
    public void close() {
        delegate.close();
    }
}
