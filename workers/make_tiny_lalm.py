#!/usr/bin/env python3
"""Makes tiny randomly initialised audio-language models for hf_lalm.py's tests and benchmark.

Each folder holds what a real Hugging Face checkpoint holds — config.json, generation_config.json,
model.safetensors, tokenizer files, the processor / feature-extractor config and a chat template — built
from the installed transformers classes, with nothing downloaded:
  * tokenizer: a byte-level BPE of 320 tokens trained in-process on a fixed text, plus the architecture's
    special tokens (chat markers, audio placeholder);
  * feature extractor: the architecture's class made in code (Whisper's, 128 mel bins);
  * model: hidden size 32, 1-2 layers, seeded; the output head is redrawn so logits have standard
    deviation 5 (a real LM's scale; random init gives near-ties) and greedy choices have wide margins, so
    exact-token comparisons are stable across batch shapes;
  * generation_config.json: what transformers' own converters write (AF3: repetition_penalty 1.05 and
    sampling fields; Music Flamingo: only the special ids and max_new_tokens; Qwen2-Audio's own), or --hostile: repetition_penalty 1.05, temperature, top_k and
    no_repeat_ngram_size together — the worker must decode greedily whatever it says.
  * --size realistic: a bigger text model (hidden 1024, 8 layers) for GPU throughput runs.

Run: python3 workers/make_tiny_lalm.py --arch af3 --out DIR [--seed 0] [--hostile] [--size tiny|realistic]
"""
import argparse
import json
import os

ARCHS = ("af3", "music-flamingo", "qwen2-audio", "glm-asr", "qwen3-asr")
CORPUS = ("the quick brown fox jumps over the lazy dog while a small bird sings in the tall green tree "
          "transcribe the input speech and describe the music one two three four five six seven eight nine ten "
          "hello world earshot audits membership inference of audio language models ") * 4

QWEN_CHAT = (
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\n"
    "You are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'audio' %}AUDIO_MARKUP{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
GLM_CHAT = (  # GLM-4 style turns, as GLM-ASR's template writes them
    "{% for message in messages %}<|{{ message['role'] }}|>\n{% for content in message['content'] %}"
    "{% if content['type'] == 'audio' %}<|begin_of_audio|><|pad|><|end_of_audio|>\n"
    "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}{% endfor %}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")
AUDIO_MARKUP = {
    "af3": "<sound>",
    "music-flamingo": "<sound>",  # the processor adds <|sound_bos|> / <|sound_eos|> around the expansion
    "qwen2-audio": "Audio 1: <|audio_bos|><|AUDIO|><|audio_eos|>\n",
    "qwen3-asr": "<|audio_start|><|audio_pad|><|audio_end|>",
}
SPECIALS = {
    "af3": ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<sound>"],
    "music-flamingo": ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<sound>", "<|sound_bos|>", "<|sound_eos|>"],
    "qwen2-audio": ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|AUDIO|>", "<|audio_bos|>", "<|audio_eos|>"],
    "qwen3-asr": ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|audio_pad|>", "<|audio_start|>", "<|audio_end|>"],
    "glm-asr": ["<|user|>", "<|assistant|>", "<|endoftext|>", "<|pad|>", "<|begin_of_audio|>", "<|end_of_audio|>"],
}
EOS = {"glm-asr": "<|user|>"}  # the token that ends the assistant's turn (default <|im_end|>)


def make_tokenizer(arch):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=SPECIALS[arch],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    bpe.train_from_iterator([CORPUS], trainer=trainer)
    named = {"audio_token": "<|audio_pad|>", "audio_bos_token": "<|audio_start|>", "audio_eos_token": "<|audio_end|>"} \
        if arch == "qwen3-asr" else {}  # Qwen3ASRProcessor reads these attributes of the tokenizer
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=EOS.get(arch, "<|im_end|>"), pad_token="<|endoftext|>",
                                        additional_special_tokens=SPECIALS[arch][3:], extra_special_tokens=named)
    return tokenizer


def make_processor(arch, tokenizer):
    import transformers
    from transformers import WhisperFeatureExtractor
    features = WhisperFeatureExtractor(feature_size=128, sampling_rate=16000, hop_length=160, chunk_length=30,
                                       n_fft=400, return_attention_mask=True)
    template = GLM_CHAT if arch == "glm-asr" else QWEN_CHAT.replace("AUDIO_MARKUP", AUDIO_MARKUP[arch])
    if arch == "af3":
        return transformers.AudioFlamingo3Processor(features, tokenizer, chat_template=template)
    if arch == "music-flamingo":
        return transformers.MusicFlamingoProcessor(features, tokenizer, chat_template=template)
    if arch == "glm-asr":
        return transformers.GlmAsrProcessor(features, tokenizer, chat_template=template)
    if arch == "qwen3-asr":
        return transformers.Qwen3ASRProcessor(transformers.Qwen3ASRFeatureExtractor(feature_size=128), tokenizer,
                                              chat_template=template)
    return transformers.Qwen2AudioProcessor(features, tokenizer, chat_template=template)


def make_model(arch, tokenizer, size):
    import transformers
    vocab = len(tokenizer)
    hidden, layers, heads, kv = (32, 2, 4, 2) if size == "tiny" else (1024, 8, 16, 4)
    text = dict(model_type="qwen2", vocab_size=vocab, hidden_size=hidden, intermediate_size=2 * hidden,
                num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv,
                max_position_embeddings=4096, tie_word_embeddings=False,
                bos_token_id=None, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    encoder = dict(num_mel_bins=128, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                   hidden_size=32, max_source_positions=1500)
    if arch == "af3":
        config = transformers.AudioFlamingo3Config(
            audio_config=dict(model_type="audioflamingo3_encoder", **encoder), text_config=text,
            audio_token_id=tokenizer.convert_tokens_to_ids("<sound>"))
        config.tie_word_embeddings = False  # an output head of its own (the composite config decides)
        model = transformers.AudioFlamingo3ForConditionalGeneration(config)
    elif arch == "music-flamingo":
        config = transformers.MusicFlamingoConfig(
            audio_config=dict(model_type="audioflamingo3_encoder", **encoder), text_config=text,
            audio_token_id=tokenizer.convert_tokens_to_ids("<sound>"),
            audio_bos_token_id=tokenizer.convert_tokens_to_ids("<|sound_bos|>"),
            audio_eos_token_id=tokenizer.convert_tokens_to_ids("<|sound_eos|>"))
        config.tie_word_embeddings = False
        model = transformers.MusicFlamingoForConditionalGeneration(config)
    elif arch == "glm-asr":
        llama = dict(text, model_type="llama")
        config = transformers.GlmAsrConfig(
            audio_config=dict(model_type="glmasr_encoder", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                              num_attention_heads=2, num_mel_bins=128, max_position_embeddings=1500),
            text_config=llama, audio_token_id=tokenizer.convert_tokens_to_ids("<|pad|>"))
        config.tie_word_embeddings = False
        model = transformers.GlmAsrForConditionalGeneration(config)
    elif arch == "qwen3-asr":
        config = transformers.Qwen3ASRConfig(
            audio_config=dict(model_type="qwen3_asr_encoder", num_mel_bins=128, encoder_layers=1, encoder_attention_heads=2,
                              encoder_ffn_dim=64, d_model=32, output_dim=hidden, downsample_hidden_size=16),
            text_config=dict(text, model_type="qwen3", head_dim=hidden // heads),
            audio_token_id=tokenizer.convert_tokens_to_ids("<|audio_pad|>"))
        config.tie_word_embeddings = False
        model = transformers.Qwen3ASRForConditionalGeneration(config)
    else:
        config = transformers.Qwen2AudioConfig(
            audio_config=dict(model_type="qwen2_audio_encoder", d_model=32, encoder_layers=1, encoder_attention_heads=2,
                              encoder_ffn_dim=64, num_mel_bins=128, max_source_positions=1500),
            text_config=text, audio_token_index=tokenizer.convert_tokens_to_ids("<|AUDIO|>"))
        config.tie_word_embeddings = False
        model = transformers.Qwen2AudioForConditionalGeneration(config)
    return model


def generation_config(arch, tokenizer, hostile):
    from transformers import GenerationConfig
    fields = dict(eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    if arch == "af3":  # what transformers' convert_audioflamingo3_to_hf.py writes
        fields.update(do_sample=True, temperature=0.7, top_p=0.9, top_k=50, repetition_penalty=1.05, max_new_tokens=2048)
    elif arch == "music-flamingo":  # convert_musicflamingo_to_hf.py: the special ids and max_new_tokens only
        fields.update(max_new_tokens=2048)
    else:  # Qwen2-Audio-7B-Instruct's generation_config.json
        fields.update(do_sample=True, temperature=0.7, top_p=0.5, top_k=20, repetition_penalty=1.1)
    if hostile:
        fields.update(repetition_penalty=1.05, temperature=0.3, top_k=3, no_repeat_ngram_size=2, do_sample=True)
    return GenerationConfig(**fields)


def build(arch, out, seed=0, hostile=False, size="tiny", margin=5.0):
    import torch
    torch.manual_seed(seed)
    tokenizer = make_tokenizer(arch)
    processor = make_processor(arch, tokenizer)
    model = make_model(arch, tokenizer, size).eval()
    with torch.no_grad():  # logits of standard deviation `margin` (a real LM's scale): top-2 gaps of order 1,
        head = model.get_output_embeddings().weight  # far above float32 noise, so argmax cannot flip between
        head.normal_(0.0, 1.0)                       # batch shapes (random init would give gaps of order 1e-3)
        head.mul_(margin / head.shape[1] ** 0.5)
        # Token embeddings of unit scale (not the 0.02 init): the residual stream then depends on the tokens
        # so much that greedy output varies with context, instead of one token repeated forever.
        model.get_input_embeddings().weight.normal_(0.0, 1.0)
    model.generation_config = generation_config(arch, tokenizer, hostile)
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=ARCHS, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hostile", action="store_true", help="generation config with every processor that breaks greedy")
    parser.add_argument("--size", choices=["tiny", "realistic"], default="tiny")
    args = parser.parse_args()
    build(args.arch, args.out, args.seed, args.hostile, args.size)
    print(json.dumps({"arch": args.arch, "out": args.out}))


if __name__ == "__main__":
    main()
