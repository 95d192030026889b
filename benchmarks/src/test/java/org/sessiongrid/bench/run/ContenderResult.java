package org.sessiongrid.bench.run;

import java.util.LinkedHashMap;
import java.util.Map;

import org.sessiongrid.bench.contender.Contender;
import org.sessiongrid.bench.measure.ClientCeiling;
import org.sessiongrid.bench.measure.FailoverFigures;
import org.sessiongrid.bench.measure.LoadFigures;
import org.sessiongrid.bench.measure.MemoryFigures;
import org.sessiongrid.bench.measure.Ramp;
import org.sessiongrid.bench.measure.Warmup;

/** Everything measured for one contender; {@link #notRun()} says why nothing (or not everything) was. */
public final class ContenderResult {

    private final Contender contender;
    private final Map<Scenario, LoadFigures> scenarios = new LinkedHashMap<>();
    private final Map<Scenario, Warmup> warmups = new LinkedHashMap<>();
    private FailoverFigures failover;
    private MemoryFigures memory;
    private ClientCeiling clientCeiling;
    private Ramp ramp;
    private String notRun;
    private final Map<String, String> problems = new LinkedHashMap<>();

    public ContenderResult(Contender contender) {
        this.contender = contender;
    }

    public Contender contender() {
        return contender;
    }

    public Map<Scenario, LoadFigures> scenarios() {
        return scenarios;
    }

    /** How the warm-up before each scenario's measured window ended. */
    public Map<Scenario, Warmup> warmups() {
        return warmups;
    }

    public FailoverFigures failover() {
        return failover;
    }

    public void failover(FailoverFigures f) {
        this.failover = f;
    }

    public MemoryFigures memory() {
        return memory;
    }

    public void memory(MemoryFigures m) {
        this.memory = m;
    }

    /** The load client against a bare loop on this contender's farm; null where not measured. */
    public ClientCeiling clientCeiling() {
        return clientCeiling;
    }

    public void clientCeiling(ClientCeiling c) {
        this.clientCeiling = c;
    }

    /** The sticky scenario's warm-up on the freshly started farm; null where something ran before it. */
    public Ramp ramp() {
        return ramp;
    }

    public void ramp(Ramp r) {
        this.ramp = r;
    }

    /** Null when the contender ran, else why it could not. */
    public String notRun() {
        return notRun;
    }

    public void notRun(String why) {
        this.notRun = why;
    }

    /** A part that failed (e.g. "failover": the exception), reported instead of its figures. */
    public Map<String, String> problems() {
        return problems;
    }
}
