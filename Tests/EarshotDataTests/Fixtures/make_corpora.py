"""Writes miniature copies of the corpora `load_split` reads in their owners' layouts, plus a Hugging Face
parquet dataset, a lhotse manifest set, Kaldi directories with decoder pipes and a NeMo manifest with offsets.

Re-run from the repository root with the project venv (numpy, soundfile, pyarrow; `scripts/install.sh`):
    .venv/bin/python Tests/EarshotDataTests/Fixtures/make_corpora.py
It overwrites Fixtures/corpora/. Audio is synthetic (a tone per item plus seeded noise); the file and column
names follow each layout's documentation exactly, cited per function; the ids, texts, speakers and segment
times the tests check are the ones written here.
LibriSpeech itself is Fixtures/LibriSpeech (make_fixtures.py).
"""
import gzip
import io
import json
import os
import shutil

import numpy as np
import soundfile as sf

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpora")
RNG = np.random.default_rng(20261207)
WORDS = ("a quiet river ran past seven old boats while the children counted grey stones under the "
         "willow trees and the birds crossed a bright morning sky").split()


def tone(rate, seconds, freq, channels=1):
    t = np.arange(int(round(rate * seconds))) / rate
    mono = (0.3 * np.sin(2 * np.pi * freq * t) + 0.003 * RNG.standard_normal(t.size)).astype(np.float32)
    if channels == 1:
        return mono
    # Channel c is the tone at freq·(c+1), so a test can tell the channels apart.
    return np.stack([(0.3 * np.sin(2 * np.pi * freq * (c + 1) * t)).astype(np.float32) for c in range(channels)], axis=1)


def words(n, count=None):
    return " ".join(WORDS[(n * 5 + i * 3) % len(WORDS)] for i in range(count or 3 + n % 4))


def fresh(name):
    path = os.path.join(HERE, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def gigaspeech():
    """GigaSpeech: github.com/SpeechColab/GigaSpeech README ("Metadata walkthrough": GigaSpeech.json holds
    audios[{aid, path, segments[{sid, speaker, begin_time, end_time, text_tn, subsets}]}], subsets written
    "{XL}", long 16 kHz Opus under audio/); lhotse recipes/gigaspeech.py reads the same fields."""
    root = fresh("gigaspeech")
    audios = []
    plan = [("POD0000000001", "podcast/P0000", ["{XS}", "{S}", "{M}", "{L}", "{XL}"]),
            ("YOU0000000002", "youtube/P0001", ["{S}", "{M}", "{L}", "{XL}"]),
            ("POD1000000003", "podcast/P0002", ["{DEV}"]),
            ("YOU1000000004", "youtube/P0003", ["{TEST}"])]
    n = 0
    for a, (aid, folder, subsets) in enumerate(plan):
        rel = f"audio/{folder}/{aid}.opus"
        os.makedirs(os.path.join(root, "audio", folder), exist_ok=True)
        sf.write(os.path.join(root, rel), tone(16000, 3.0, 220 + 60 * a), 16000, format="OGG", subtype="OPUS")
        segments = []
        for s in range(8):
            begin = round(0.35 * s, 2)
            end = round(begin + 0.3, 2)
            if s == 7:
                text = "<SIL>"  # a garbage utterance: not listed
            else:
                text = words(n).upper().replace(" ", " <COMMA> ", 1) + " <PERIOD>"
                if s == 3:
                    text = "<NOISE> " + text
            segments.append({"sid": f"{aid}_S{s:07d}", "speaker": "N/A", "begin_time": begin, "end_time": end,
                             "text_tn": text, "subsets": subsets})
            n += 1
        audios.append({"aid": aid, "path": rel, "source": folder.split("/")[0], "category": "N/A",
                       "sample_rate": 16000, "segments": segments})
    with open(os.path.join(root, "GigaSpeech.json"), "w") as f:
        json.dump({"dataset": "GigaSpeech", "version": "v1.0.0", "audios": audios}, f, indent=1)


def tedlium():
    """TED-LIUM release 3: openslr.org/51 and the release README (TEDLIUM_release-3/legacy/{train,dev,test}/
    {sph,stm}; STM lines "talk channel speaker start end <label> words", ignore_time_segment_in_scoring);
    read the same way by lhotse recipes/tedlium.py and Kaldi egs/tedlium/s5_r3."""
    root = fresh("tedlium/TEDLIUM_release-3")
    n = 0
    for split, talks in (("train", ["AaronHuey_2010X", "BillGates_2010"]), ("test", ["DanBarber_2010", "JaneMcGonigal_2010"])):
        for t, talk in enumerate(talks):
            sph = os.path.join(root, "legacy", split, "sph", talk + ".sph")
            os.makedirs(os.path.dirname(sph), exist_ok=True)
            sf.write(sph, tone(16000, 1.5, 300 + 50 * t + (0 if split == "train" else 25)), 16000, format="NIST", subtype="PCM_16")
            lines = [f"{talk} 1 {talk} 0.00 0.30 <o,f0,male> ignore_time_segment_in_scoring"]
            for s in range(4):
                start = 0.3 + 0.3 * s
                text = words(n) + (" {NOISE}" if s == 1 else "")
                lines.append(f"{talk} 1 {talk} {start:.2f} {start + 0.25:.2f} <o,f0,{'male' if t == 0 else 'female'}> {text}")
                n += 1
            write(os.path.join(root, "legacy", split, "stm", talk + ".stm"), "\n".join(lines) + "\n")


def voxpopuli():
    """VoxPopuli: github.com/facebookresearch/voxpopuli README ("ASR and LM": transcribed_data/[lang]/
    asr_[split].tsv with columns id raw_text normalized_text speaker_id split gender is_gold_transcript
    accent, audio [year]/[id].ogg)."""
    root = fresh("voxpopuli/transcribed_data/en")
    header = "id\traw_text\tnormalized_text\tspeaker_id\tsplit\tgender\tis_gold_transcript\taccent"
    n = 0
    for split, year in (("train", "2019"), ("test", "2020")):
        rows = [header]
        for i in range(7):
            uid = f"{year}0114-0900-PLENARY-{i + 3}-en_{year}0114-09:{10 + i}:00_{i % 3}"
            path = os.path.join(root, year, uid + ".ogg")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            sf.write(path, tone(16000, 0.25 + 0.02 * i, 400 + 30 * i), 16000, format="OGG", subtype="VORBIS")
            text = words(n)
            rows.append(f"{uid}\t{text.capitalize()}, indeed.\t{text} indeed\t{1000 + i % 4}\t{split}\t"
                        f"{'male' if i % 2 else 'female'}\tTrue\tNone")
            n += 1
        write(os.path.join(root, f"asr_{split}.tsv"), "\n".join(rows) + "\n")


def spgispeech():
    """SPGISpeech: the dataset card at datasets.kensho.com / huggingface.co/datasets/kensho/spgispeech
    (train.csv and val.csv delimited by '|' with wav_filename|wav_filesize|transcript; audio train/CALL/N.wav);
    lhotse recipes/spgispeech.py (speaker = CALL)."""
    root = fresh("spgispeech")
    n = 0
    for split in ("train", "val"):
        rows = ["wav_filename|wav_filesize|transcript"]
        for i in range(7):
            call = f"{'0a1b2c3d' if split == 'train' else '9f8e7d6c'}{i % 3:024x}"
            rel = f"{call}/{i + 1}.wav"
            path = os.path.join(root, split, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            sf.write(path, tone(16000, 0.12 + 0.01 * i, 500 + 25 * i), 16000, subtype="PCM_16")
            rows.append(f"{rel}|{os.path.getsize(path)}|{words(n).capitalize()}, up 3% in Q{1 + i % 4}.")
            n += 1
        write(os.path.join(root, f"{split}.csv"), "\n".join(rows) + "\n")


def clotho():
    """Clotho v2: zenodo.org/records/4783391 README (clotho_captions_{development,validation,evaluation}.csv
    with columns file_name,caption_1..caption_5; clips in development/, validation/, evaluation/)."""
    root = fresh("clotho")
    n = 0
    for split in ("development", "evaluation"):
        rows = ["file_name,caption_1,caption_2,caption_3,caption_4,caption_5"]
        os.makedirs(os.path.join(root, split))
        for i in range(7):
            name = f"{'Rain' if split == 'development' else 'Street'} sound {i + 1:02d}.wav"
            sf.write(os.path.join(root, split, name), tone(44100, 0.08 + 0.01 * i, 600 + 40 * i), 44100, subtype="PCM_16")
            caps = [f'"{words(n + k)}, {"softly" if k % 2 else "loudly"}"' for k in range(5)]
            rows.append(",".join([name] + caps))
            n += 1
        write(os.path.join(root, f"clotho_captions_{split}.csv"), "\n".join(rows) + "\n")


def cochlscene():
    """CochlScene: github.com/cochlearai/cochlscene README ("Dataset structure": CochlScene/{Train,Val,Test}/
    <Scene>/*.wav, 44.1 kHz; the label is the scene folder)."""
    root = fresh("cochlscene/CochlScene")
    for split in ("Train", "Test"):
        for s, scene in enumerate(("Bus", "Cafe", "Park")):
            folder = os.path.join(root, split, scene)
            os.makedirs(folder)
            for i in range(3):
                sf.write(os.path.join(folder, f"{scene}_user{s:04d}_{i + (0 if split == 'Train' else 50):08d}.wav"),
                         tone(44100, 0.06 + 0.01 * i, 700 + 90 * s), 44100, subtype="PCM_16")


def nsynth():
    """NSynth: magenta.tensorflow.org/datasets/nsynth ("Files": nsynth-{train,valid,test}/examples.json, one
    object keyed by note_str, and audio/<note_str>.wav, 16 kHz; "Example Features" names the fields)."""
    root = fresh("nsynth")
    families = [("keyboard", "acoustic", 0), ("guitar", "electronic", 3), ("mallet", "synthetic", 6)]
    for split in ("train", "test"):
        examples = {}
        folder = os.path.join(root, f"nsynth-{split}", "audio")
        os.makedirs(folder)
        for i in range(7):
            family, source, fid = families[i % 3]
            inst = f"{family}_{source}_{(i % 2) + (0 if split == 'train' else 10):03d}"
            pitch, velocity = 48 + 3 * i, [25, 50, 75, 100, 127][i % 5]
            note = f"{inst}-{pitch:03d}-{velocity:03d}"
            sf.write(os.path.join(folder, note + ".wav"), tone(16000, 0.1 + 0.01 * i, 440 * 2 ** ((pitch - 69) / 12)),
                     16000, subtype="PCM_16")
            examples[note] = {"note": 1000 * i + 17, "note_str": note, "instrument": 100 + i, "instrument_str": inst,
                              "pitch": pitch, "velocity": velocity, "sample_rate": 16000,
                              "qualities": [0, 1, 0, 0, 0, 0, 0, 0, 0, 0], "qualities_str": ["bright"],
                              "instrument_family": fid, "instrument_family_str": family,
                              "instrument_source": ["acoustic", "electronic", "synthetic"].index(source),
                              "instrument_source_str": source}
        with open(os.path.join(root, f"nsynth-{split}", "examples.json"), "w") as f:
            json.dump(examples, f, indent=1)


def hf_parquet():
    """Hugging Face Hub parquet (huggingface.co/docs/datasets/about_dataset_features: the Audio feature is
    stored as a struct {bytes: binary, path: string}; shards data/{split}-NNNNN-of-NNNNN.parquet)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    root = fresh("hf_parquet/data")
    n = 0
    for split, shards in (("train", 2), ("test", 1)):
        for shard in range(shards):
            rows = {"id": [], "audio": [], "text": [], "speaker_id": []}
            for i in range(4 if split == "train" else 7):
                buf = io.BytesIO()
                rate = (16000, 22050)[i % 2]
                sf.write(buf, tone(rate, 0.2 + 0.02 * i, 330 + 20 * n), rate, format="FLAC", subtype="PCM_16")
                uid = f"{split}-{shard}-{i:03d}"
                rows["id"].append(uid)
                rows["audio"].append({"bytes": buf.getvalue(), "path": f"{uid}.flac"})
                rows["text"].append(words(n))
                rows["speaker_id"].append(f"spk{n % 3}")
                n += 1
            table = pa.table({"id": pa.array(rows["id"]),
                              "audio": pa.array(rows["audio"], type=pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
                              "text": pa.array(rows["text"]), "speaker_id": pa.array(rows["speaker_id"])})
            pq.write_table(table, os.path.join(root, f"{split}-{shard:05d}-of-{shards:05d}.parquet"),
                           compression="zstd" if split == "train" else "snappy")


def lhotse():
    """lhotse manifests (lhotse.readthedocs.io "Representing a corpus": RecordingSet / SupervisionSet / CutSet
    written as *_recordings_*.jsonl.gz, *_supervisions_*.jsonl.gz, *_cuts_*.jsonl.gz; a recording's sources
    [{type: file, channels, source}], supervisions with recording_id, start, duration, channel, text, speaker)."""
    root = fresh("lhotse")
    os.makedirs(os.path.join(root, "audio"))
    recordings, supervisions = [], []
    n = 0
    for r in range(2):
        rid = f"meeting-{r}"
        rate = 8000
        sf.write(os.path.join(root, "audio", rid + ".wav"), tone(rate, 1.3, 250 + 70 * r, channels=2), rate, subtype="PCM_16")
        recordings.append({"id": rid, "sources": [{"type": "file", "channels": [0, 1], "source": f"audio/{rid}.wav"}],
                           "sampling_rate": rate, "num_samples": 13 * rate // 10, "duration": 1.3, "channel_ids": [0, 1]})
        for s in range(4):
            supervisions.append({"id": f"{rid}-{s}", "recording_id": rid, "start": round(0.05 + 0.3 * s, 3),
                                 "duration": 0.25, "channel": s % 2, "text": words(n), "language": "English",
                                 "speaker": f"{rid}-spk{s % 2}"})
            n += 1
    with gzip.GzipFile(os.path.join(root, "mini_recordings_train.jsonl.gz"), "wb", mtime=0) as f:
        f.write("".join(json.dumps(x) + "\n" for x in recordings).encode())
    with gzip.GzipFile(os.path.join(root, "mini_supervisions_train.jsonl.gz"), "wb", mtime=0) as f:
        f.write("".join(json.dumps(x) + "\n" for x in supervisions).encode())
    # Cuts (plain JSONL): MonoCuts of a mono recording, each with its recording and supervisions inline.
    sf.write(os.path.join(root, "audio", "lecture.flac"), tone(16000, 1.5, 520), 16000, subtype="PCM_16")
    rec = {"id": "lecture", "sources": [{"type": "file", "channels": [0], "source": "audio/lecture.flac"}],
           "sampling_rate": 16000, "num_samples": 24000, "duration": 1.5, "channel_ids": [0]}
    with open(os.path.join(root, "mini_cuts_test.jsonl"), "w") as f:
        for c in range(6):
            start = round(0.1 + 0.22 * c, 3)
            sup = {"id": f"lecture-{c}", "recording_id": "lecture", "start": 0.0, "duration": 0.2, "channel": 0,
                   "text": words(n), "speaker": "lecturer"}
            f.write(json.dumps({"id": f"lecture-cut-{c}", "start": start, "duration": 0.2, "channel": 0,
                                "supervisions": [sup], "recording": rec, "type": "MonoCut"}) + "\n")
            n += 1


def kaldi_pipes():
    """Kaldi data directories whose wav.scp uses decoder pipes (kaldi-asr.org/doc/data_prep.html "wav.scp";
    the forms written by egs/tedlium, egs/librispeech and ESPnet's data preparation)."""
    root = fresh("kaldi_pipes")
    os.makedirs(os.path.join(root, "audio"))
    sf.write(os.path.join(root, "audio", "stereo.sph"), tone(8000, 0.6, 300, channels=2), 8000, format="NIST", subtype="PCM_16")
    sf.write(os.path.join(root, "audio", "book.flac"), tone(8000, 0.5, 450), 8000, subtype="PCM_16")
    sf.write(os.path.join(root, "audio", "talk.wav"), tone(8000, 0.4, 600, channels=2), 8000, subtype="PCM_16")
    sf.write(os.path.join(root, "audio", "clip.ogg"), tone(8000, 0.45, 700), 8000, format="OGG", subtype="VORBIS")
    scp = ["left sph2pipe -f wav -p -c 1 audio/stereo.sph |",
           "right sph2pipe -f wav -p -c 2 audio/stereo.sph |",
           "book flac -c -d -s audio/book.flac |",
           "talk sox audio/talk.wav -t wav - remix 2 |",
           "clip ffmpeg -i audio/clip.ogg -f wav -ar 8000 -ac 1 - |"]
    write(os.path.join(root, "wav.scp"), "\n".join(scp) + "\n")
    write(os.path.join(root, "text"), "".join(f"{k} {words(i)}\n" for i, k in enumerate(["left", "right", "book", "talk", "clip"])))
    refused = fresh("kaldi_refused")
    write(os.path.join(refused, "wav.scp"), "rec0 audio/rec0.flac\nrec1 sph2pipe -f wav audio/rec1.sph | sox - -t wav - |\n")
    write(os.path.join(refused, "text"), "rec0 hello\nrec1 world\n")


def nemo_offsets():
    """NeMo manifests with offset and duration (docs.nvidia.com/nemo-framework ASR "Preparing Custom ASR Data":
    audio_filepath, duration, text, and optional offset into a longer file)."""
    root = fresh("nemo_offsets")
    sf.write(os.path.join(root, "long.wav"), tone(16000, 1.6, 350), 16000, subtype="PCM_16")
    lines = [{"audio_filepath": "long.wav", "offset": 0.5, "duration": 0.5, "text": "middle part"},
             {"audio_filepath": "long.wav", "offset": 1.25, "duration": 0.25, "text": "late part"},
             {"audio_filepath": "long.wav", "duration": 0.5, "text": "the whole file said to be half a second"}]
    write(os.path.join(root, "manifest.jsonl"), "".join(json.dumps(x) + "\n" for x in lines))


if __name__ == "__main__":
    gigaspeech()
    tedlium()
    voxpopuli()
    spgispeech()
    clotho()
    cochlscene()
    nsynth()
    hf_parquet()
    lhotse()
    kaldi_pipes()
    nemo_offsets()
