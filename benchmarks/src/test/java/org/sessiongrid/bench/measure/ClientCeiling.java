package org.sessiongrid.bench.measure;

/**
 * What the load client costs, measured against a bare loop on the same farm (Tomcat's StandardManager, the
 * cheapest contender, so the one a client limits first): the same users and connections, the same requests,
 * but no history, no cookie bookkeeping beyond the session id and no checker.
 *
 * @param bareThroughput requests per second of the bare loop in its measured window
 * @param bareClientCpuMicrosPerRequest the bare loop's own CPU per request (this JVM)
 * @param loadThroughput the load client's requests per second on the same farm (scenario a)
 * @param loadClientCpuMicrosPerRequest the load client's own CPU per request (scenario a)
 */
public record ClientCeiling(double bareThroughput, double bareClientCpuMicrosPerRequest, double loadThroughput,
                            double loadClientCpuMicrosPerRequest) {

    /** The load client's throughput as a share of the bare loop's; the aim is at least 0.8. */
    public double share() {
        return bareThroughput > 0 ? loadThroughput / bareThroughput : 0;
    }
}
