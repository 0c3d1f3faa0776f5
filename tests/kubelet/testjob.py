"""Build the test job (tests/jobs/flinkrender/testjob/CountingJob.java) into a jar.

`build_job_jar(flink_home, out_dir, main_class=...)` compiles the job with the JDK's javac against
the distribution's lib/flink-dist*.jar and writes a jar whose manifest Main-Class is `main_class`.
If that is not the job's own class, a one-line class of that name delegating to CountingJob.main is
generated, so the jar can stand in for whatever a spec names (`entryClass`, or the Main-Class of
the jar its jarURI points at). Results are cached per (Flink version, main class) in out_dir.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from .image import flink_version_of

REPO = Path(__file__).resolve().parents[2]
JOB_SOURCES = REPO / "tests" / "jobs"
JOB_CLASS = "flinkrender.testjob.CountingJob"
JAVAC_TIMEOUT_S = 180


def build_job_jar(flink_home: Path, out_dir: Path, main_class: str = JOB_CLASS) -> Path:
    version = flink_version_of(flink_home)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jar = out_dir / f"counting-job-{version}-{main_class.replace('.', '_')}.jar"
    if jar.exists():
        return jar
    javac = shutil.which("javac")
    if not javac:
        raise RuntimeError("javac not found: the test job is compiled at test time")
    dist = sorted((Path(flink_home) / "lib").glob("flink-dist*.jar"))[0]
    with tempfile.TemporaryDirectory(prefix="testjob-", dir=out_dir) as tmp:
        tmp = Path(tmp)
        sources = sorted(str(p) for p in JOB_SOURCES.rglob("*.java"))
        if main_class != JOB_CLASS:
            pkg, _, simple = main_class.rpartition(".")
            src = tmp / "alias" / (pkg.replace(".", "/")) / f"{simple}.java"
            src.parent.mkdir(parents=True)
            src.write_text(
                (f"package {pkg};\n" if pkg else "")
                + f"public final class {simple} {{\n"
                + f"    public static void main(String[] args) throws Exception {{ {JOB_CLASS}.main(args); }}\n}}\n",
                encoding="utf-8",
            )
            sources.append(str(src))
        classes = tmp / "classes"
        classes.mkdir()
        r = subprocess.run([javac, "-nowarn", "--release", "11", "-encoding", "UTF-8", "-cp", str(dist), "-d", str(classes),
                            *sources], capture_output=True, text=True, timeout=JAVAC_TIMEOUT_S)
        if r.returncode != 0:
            raise RuntimeError(f"javac failed:\n{r.stdout}\n{r.stderr}")
        part = tmp / "job.jar"
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("META-INF/MANIFEST.MF", f"Manifest-Version: 1.0\nMain-Class: {main_class}\nCreated-By: flink-render tests\n\n")
            for f in sorted(classes.rglob("*.class")):
                z.write(f, str(f.relative_to(classes)))
        part.rename(jar)
    return jar
