package flinkrender.testjob;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;

/**
 * The flink-render test job: an unbounded stream of numbers, keyed by {@code n % keys}, with a
 * keyed {@link ValueState} counting the events of each key. The state is what later lifecycle
 * tests watch survive a savepoint or checkpoint restore, so it is observable two ways:
 *
 * <ul>
 *   <li>operator metrics of the {@code count} operator (REST
 *       {@code /jobs/<jid>/vertices/<vid>/subtasks/metrics?get=count.countSum,count.runningCount}):
 *       {@code runningCount} is the largest per-key count this subtask has seen, {@code countSum}
 *       the sum of the latest count of every key it has seen, {@code eventsSinceStart} the events
 *       it processed since it (re)started;</li>
 *   <li>with {@code --state-file PATH}, each subtask rewrites {@code PATH.<subtask>} about once a
 *       second with {@code <key> <count>} lines (atomic rename).</li>
 * </ul>
 *
 * <p>After a restore, {@code countSum} continues from the restored counts instead of starting at
 * zero. Arguments it does not know are ignored, so it can stand in for any user jar. Only APIs
 * present in both Flink 1.20 and 2.x are used (no SourceFunction/SinkFunction, no lambdas, so no
 * type hints are needed).
 *
 * <p>Arguments: {@code [--sleep-ms N] [--keys N] [--state-file PATH] [--job-name NAME]
 * [--checkpoint-interval-ms N]}. Without {@code --job-name} the job is named by
 * {@code pipeline.name} (Flink's default when {@code execute()} gets no name).
 */
public final class CountingJob {

    private CountingJob() {}

    public static void main(String[] args) throws Exception {
        long sleepMs = 20;
        long keys = 8;
        String stateFile = null;
        String jobName = null;
        long checkpointMs = 0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            boolean hasValue = i + 1 < args.length;
            if ("--sleep-ms".equals(a) && hasValue) {
                sleepMs = Long.parseLong(args[++i]);
            } else if ("--keys".equals(a) && hasValue) {
                keys = Long.parseLong(args[++i]);
            } else if ("--state-file".equals(a) && hasValue) {
                stateFile = args[++i];
            } else if ("--job-name".equals(a) && hasValue) {
                jobName = args[++i];
            } else if ("--checkpoint-interval-ms".equals(a) && hasValue) {
                checkpointMs = Long.parseLong(args[++i]);
            }
            // anything else: ignored (fixtures pass the arguments of the job they stand for)
        }
        System.out.println("flink-render CountingJob: sleepMs=" + sleepMs + " keys=" + keys
                + " stateFile=" + stateFile + " checkpointMs=" + checkpointMs);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (checkpointMs > 0) {
            env.enableCheckpointing(checkpointMs);
        }
        env.fromSource(new NumberSequenceSource(0, Long.MAX_VALUE), WatermarkStrategy.noWatermarks(), "numbers")
                .uid("numbers")
                .map(new Throttle(sleepMs, keys))
                .uid("throttle")
                .name("throttle")
                .keyBy(new ByValue())
                .process(new Count(stateFile))
                .uid("count")
                .name("count")
                .sinkTo(new DiscardingSink<String>())
                .uid("discard")
                .name("discard");
        if (jobName == null) {
            env.execute();
        } else {
            env.execute(jobName);
        }
    }

    /** Slows the source down and maps each number to its key. */
    public static final class Throttle implements MapFunction<Long, Long> {
        private static final long serialVersionUID = 1L;
        private final long sleepMs;
        private final long keys;

        public Throttle(long sleepMs, long keys) {
            this.sleepMs = sleepMs;
            this.keys = Math.max(1, keys);
        }

        @Override
        public Long map(Long value) throws Exception {
            if (sleepMs > 0) {
                Thread.sleep(sleepMs);
            }
            return value % keys;
        }
    }

    /** The key of an element is the element itself. */
    public static final class ByValue implements KeySelector<Long, Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long getKey(Long value) {
            return value;
        }
    }

    /** Keyed running count, exposed as metrics and optionally written to a file. */
    public static final class Count extends KeyedProcessFunction<Long, Long, String> {
        private static final long serialVersionUID = 1L;
        private final String stateFile;
        private transient ValueState<Long> count;
        private transient Map<Long, Long> latest;
        private transient volatile long runningCount;
        private transient volatile long countSum;
        private transient volatile long eventsSinceStart;
        private transient long lastWrite;
        private transient int subtask;

        public Count(String stateFile) {
            this.stateFile = stateFile;
        }

        @Override
        public void open(OpenContext openContext) throws Exception {
            count = getRuntimeContext().getState(new ValueStateDescriptor<Long>("count", Types.LONG));
            latest = new TreeMap<>();
            subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
            getRuntimeContext().getMetricGroup().gauge("runningCount", new Gauge<Long>() {
                @Override
                public Long getValue() {
                    return runningCount;
                }
            });
            getRuntimeContext().getMetricGroup().gauge("countSum", new Gauge<Long>() {
                @Override
                public Long getValue() {
                    return countSum;
                }
            });
            getRuntimeContext().getMetricGroup().gauge("eventsSinceStart", new Gauge<Long>() {
                @Override
                public Long getValue() {
                    return eventsSinceStart;
                }
            });
        }

        @Override
        public void processElement(Long key, Context ctx, Collector<String> out) throws Exception {
            Long previous = count.value();
            long next = (previous == null ? 0L : previous) + 1;
            count.update(next);
            Long before = latest.put(key, next);
            countSum += next - (before == null ? 0L : before);
            runningCount = Math.max(runningCount, next);
            eventsSinceStart++;
            out.collect(key + " " + next);
            long now = System.currentTimeMillis();
            if (stateFile != null && now - lastWrite >= 1000) {
                lastWrite = now;
                writeStateFile();
            }
        }

        private void writeStateFile() throws IOException {
            StringBuilder sb = new StringBuilder();
            for (Map.Entry<Long, Long> e : latest.entrySet()) {
                sb.append(e.getKey()).append(' ').append(e.getValue()).append('\n');
            }
            Path target = Paths.get(stateFile + "." + subtask);
            Path tmp = Paths.get(stateFile + "." + subtask + ".tmp");
            Files.write(tmp, sb.toString().getBytes(StandardCharsets.UTF_8));
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
