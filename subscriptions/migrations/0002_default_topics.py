"""A useful starting set of topics; operators edit or deactivate them in admin."""

from django.db import migrations

TOPICS = [
    ("Large language models", "llms", "Training, evaluating and using large language models.",
     ["large language model", "LLM", "instruction tuning", "in-context learning", "RLHF",
      "chain-of-thought", "language model alignment"], ["cs.CL", "cs.LG", "cs.AI"]),
    ("Computer vision", "computer-vision", "Recognition, detection, segmentation, 3D vision.",
     ["image classification", "object detection", "segmentation", "vision transformer",
      "3D reconstruction", "video understanding"], ["cs.CV"]),
    ("Generative models & diffusion", "generative-models", "Diffusion, flows, GANs, image and video generation.",
     ["diffusion model", "text-to-image", "generative adversarial network", "normalizing flow",
      "score-based", "video generation"], ["cs.CV", "cs.LG", "stat.ML"]),
    ("Reinforcement learning", "reinforcement-learning", "Agents that learn from reward.",
     ["reinforcement learning", "policy gradient", "offline RL", "multi-agent", "reward model",
      "Q-learning"], ["cs.LG", "cs.AI"]),
    ("Information retrieval & search", "information-retrieval", "Search, ranking, recommendation, RAG.",
     ["information retrieval", "dense retrieval", "retrieval-augmented generation", "reranking",
      "recommender system", "learning to rank"], ["cs.IR", "cs.CL"]),
    ("Natural language processing", "nlp", "Language beyond LLMs: parsing, translation, speech text.",
     ["machine translation", "named entity recognition", "question answering", "summarization",
      "multilingual", "tokenization"], ["cs.CL"]),
    ("Robotics", "robotics", "Manipulation, locomotion, planning and embodied AI.",
     ["robot manipulation", "locomotion", "motion planning", "embodied agent", "sim-to-real",
      "vision-language-action"], ["cs.RO"]),
    ("Machine learning theory", "ml-theory", "Generalisation, optimisation and learning theory.",
     ["generalization bound", "sample complexity", "convex optimization", "PAC learning",
      "neural tangent kernel", "stochastic gradient descent"], ["cs.LG", "stat.ML", "math.OC"]),
    ("Theoretical computer science", "theory", "Algorithms, complexity, cryptography theory.",
     ["approximation algorithm", "computational complexity", "graph algorithm", "lower bound",
      "hardness"], ["cs.DS", "cs.CC", "cs.DM"]),
    ("Quantum computing", "quantum", "Quantum algorithms, error correction and hardware.",
     ["quantum computing", "quantum algorithm", "qubit", "quantum error correction",
      "variational quantum"], ["quant-ph"]),
    ("Human-computer interaction", "hci", "Interfaces, user studies, accessibility.",
     ["user study", "interaction design", "accessibility", "visualization", "human-AI interaction"],
     ["cs.HC"]),
    ("Security & privacy", "security-privacy", "Attacks, defences, differential privacy.",
     ["adversarial attack", "differential privacy", "jailbreak", "membership inference",
      "federated learning", "malware"], ["cs.CR"]),
    ("AI safety & alignment", "ai-safety", "Interpretability, robustness, evaluation of AI systems.",
     ["alignment", "interpretability", "mechanistic interpretability", "red teaming",
      "AI safety", "reward hacking"], ["cs.AI", "cs.LG", "cs.CY"]),
    ("Systems for ML", "ml-systems", "Efficient training and inference, compilers, hardware.",
     ["inference efficiency", "quantization", "distributed training", "KV cache", "sparsity",
      "GPU kernel"], ["cs.DC", "cs.LG", "cs.AR"]),
    ("Computational biology", "comp-bio", "Proteins, genomics and ML for science.",
     ["protein structure", "genomics", "drug discovery", "single-cell", "molecular generation"],
     ["q-bio.QM", "q-bio.BM", "q-bio.GN"]),
]


def add_topics(apps, schema_editor):
    Topic = apps.get_model("subscriptions", "Topic")
    for position, (name, slug, description, keywords, categories) in enumerate(TOPICS):
        Topic.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "keywords": keywords,
                      "categories": categories, "position": position},
        )


def remove_topics(apps, schema_editor):
    Topic = apps.get_model("subscriptions", "Topic")
    Topic.objects.filter(slug__in=[slug for _, slug, *_ in TOPICS]).delete()


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0001_initial")]
    operations = [migrations.RunPython(add_topics, remove_topics)]
